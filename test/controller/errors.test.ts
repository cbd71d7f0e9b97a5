import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, UnavailableError, UserError } from '../../model/errors.js';
import { errorHandler, HttpError } from '../../controller/api/errors.js';
import { createLogger } from '../../util/logger.js';

/* The API's one mapping from errors to statuses: a FogsimError answers its httpStatus. */
describe('API error handler', () => {
  const app = express();
  const throws = (path: string, e: unknown) =>
    app.get(path, () => {
      throw e;
    });
  throws('/validation', new UserError('cannot add node 4', ['--id: taken']));
  throws('/not-found', new NotFoundError('node 9 does not exist'));
  throws('/conflict', new ConflictError('copy 3 changed'));
  throws('/unavailable', new UnavailableError('object store at http://127.0.0.1:9 is not reachable (ECONNREFUSED)'));
  throws('/http', new HttpError(418, 'teapot'));
  throws('/bug', new TypeError('x is undefined'));
  app.use(errorHandler(createLogger('test')));

  it.each([
    ['/validation', 400, 'cannot add node 4: --id: taken'],
    ['/not-found', 404, 'node 9 does not exist'],
    ['/conflict', 409, 'copy 3 changed'],
    ['/unavailable', 503, 'object store at http://127.0.0.1:9 is not reachable (ECONNREFUSED)'],
    ['/http', 418, 'teapot'],
    ['/bug', 500, 'internal error (see the controller log)'],
  ])('GET %s: %i with the message', async (path, status, error) => {
    const res = await request(app).get(path).expect(status);
    expect(res.body).toEqual({ error });
  });
});
