import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import * as Minio from 'minio';
import { NotFoundError, UnavailableError, UserError } from '../model/errors.js';
import type { ObjectInfo, ObjectStore, ReadObjectOptions } from './object-store.js';
import { HttpStatusError, ReadAbortedError, socketGet, UnsupportedResponse } from './socket-get.js';

/** The object (or its bucket) does not exist: usually a wrong name or a moved copy. */
export class ObjectNotFoundError extends NotFoundError {
  constructor(readonly bucket: string, readonly key: string | undefined, what: 'object' | 'bucket') {
    super(what === 'object' ? `object s3://${bucket}/${key} not found: no such key in bucket "${bucket}"` : `bucket "${bucket}" not found${key !== undefined ? ` (looking for s3://${bucket}/${key})` : ''}: create it first (ensureBucket) or check the name`);
    this.name = 'ObjectNotFoundError';
  }
}

export interface S3ObjectStoreOptions {
  host: string;
  port: number;
  useSSL?: boolean;
  accessKey: string;
  secretKey: string;
  region?: string;
  /**
   * Objects up to this size go up in one PUT, larger ones as a multipart upload of parts this big
   * (each part is held in memory once). Minimum 5 MiB (S3's smallest part).
   */
  partSize?: number;
  /** where the endpoint came from, for error messages (e.g. "FOGSIM_S3_ENDPOINT") */
  source?: string;
  /**
   * `false`: readObject goes through the minio client's stream (what https uses) instead of the
   * raw socket GET; default true. For tests of that path, and as an escape hatch.
   */
  socketGet?: boolean;
}

const DEFAULT_PART_SIZE = 16 * 1024 * 1024;
const MAX_PARTS = 10_000;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE']);

type S3LikeError = Error & { code?: string; cause?: unknown };

/** a presigned GET is used at once; a short life keeps a leaked URL useless */
const PRESIGN_SECONDS = 300;

/** An S3 error answer (XML with Code and Message) as the error the minio client would throw. */
function s3Error(err: HttpStatusError): S3LikeError {
  const tag = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(err.body)?.[1];
  const code = tag('Code') ?? (err.status === 404 ? 'NotFound' : `HTTP${err.status}`);
  return Object.assign(new Error(`${code}: ${tag('Message') ?? `HTTP ${err.status}`}`), { code });
}

/** ObjectStore over the minio client: one code path for the embedded S3 server and for MinIO. */
export class S3ObjectStore implements ObjectStore {
  readonly client: Minio.Client;
  readonly partSize: number;

  constructor(readonly options: S3ObjectStoreOptions) {
    this.partSize = options.partSize ?? DEFAULT_PART_SIZE;
    this.client = new Minio.Client({
      endPoint: options.host,
      port: options.port,
      useSSL: options.useSSL ?? false,
      accessKey: options.accessKey,
      secretKey: options.secretKey,
      // A fixed region spares a GetBucketLocation round trip before each first request to a bucket.
      region: options.region ?? 'us-east-1',
      partSize: this.partSize,
      pathStyle: true,
    });
  }

  get endpoint(): { host: string; port: number } {
    return { host: this.options.host, port: this.options.port };
  }

  get url(): string {
    return `${this.options.useSSL ? 'https' : 'http'}://${this.options.host}:${this.options.port}`;
  }

  /** The same store, same credentials, reached at another address (the app's latency proxy in front of it). */
  viaEndpoint(host: string, port: number): S3ObjectStore {
    return new S3ObjectStore({ ...this.options, host, port, source: `${this.options.source ?? 'object store'} via ${host}:${port}` });
  }

  /** Turns client failures into errors that say what is missing or which server is down. */
  private fail(err: unknown, bucket?: string, key?: string): never {
    const e = err as S3LikeError;
    const code = e?.code ?? (e?.cause as S3LikeError | undefined)?.code;
    if (code && NETWORK_CODES.has(code)) {
      const via = this.options.source ? ` (${this.options.source})` : '';
      throw new UnavailableError(
        `object store at ${this.url}${via} is not reachable (${code}): start the S3 server there, or set FOGSIM_S3_ENDPOINT=http://host:port to a running MinIO (scripts/real/minio.sh start), or unset it to use the embedded server`,
      );
    }
    if (code === 'NoSuchBucket') throw new ObjectNotFoundError(bucket ?? '?', key, 'bucket');
    if (code === 'NoSuchKey' || (code === 'NotFound' && key !== undefined)) throw new ObjectNotFoundError(bucket ?? '?', key, 'object');
    if (code === 'NotFound') throw new ObjectNotFoundError(bucket ?? '?', key, 'bucket');
    if (code === 'InvalidAccessKeyId' || code === 'SignatureDoesNotMatch' || code === 'AccessDenied') {
      throw new UserError(`object store at ${this.url} refused the credentials (${code}): check FOGSIM_S3_ACCESS_KEY and FOGSIM_S3_SECRET_KEY`);
    }
    if (e instanceof Error && /Invalid bucket name/i.test(e.message)) {
      throw new UserError(`invalid bucket name "${bucket}": use 3-63 lower-case letters, digits, dots or hyphens (e.g. node-3)`);
    }
    throw err;
  }

  async ensureBucket(bucket: string): Promise<void> {
    try {
      if (await this.client.bucketExists(bucket)) return;
      await this.client.makeBucket(bucket);
    } catch (err) {
      const code = (err as S3LikeError).code;
      // Another node created it between our check and our create.
      if (code === 'BucketAlreadyOwnedByYou' || code === 'BucketAlreadyExists') return;
      this.fail(err, bucket);
    }
  }

  async deleteBucket(bucket: string): Promise<void> {
    try {
      await this.client.removeBucket(bucket);
    } catch (err) {
      this.fail(err, bucket);
    }
  }

  async listBuckets(): Promise<string[]> {
    try {
      return (await this.client.listBuckets()).map((b) => b.name);
    } catch (err) {
      this.fail(err);
    }
  }

  async putFile(bucket: string, key: string, path: string): Promise<void> {
    try {
      await this.client.fPutObject(bucket, key, path, { 'Content-Type': 'application/octet-stream' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && (err as NodeJS.ErrnoException).path === path) {
        throw new UserError(`cannot upload ${path}: file not found`);
      }
      this.fail(err, bucket, key);
    }
  }

  async putObject(bucket: string, key: string, body: Buffer | Readable, size?: number): Promise<void> {
    try {
      if (Buffer.isBuffer(body) || size !== undefined) {
        // Size known: the client does one PUT up to partSize, multipart beyond.
        await this.client.putObject(bucket, key, body, size ?? (body as Buffer).length);
        return;
      }
      // Size unknown: buffer up to one part. A short stream goes up in one PUT; a long one is
      // declared as the largest object that still keeps parts at partSize, so memory stays bounded
      // (the client would otherwise size parts for a 5 TiB object).
      const head: Buffer[] = [];
      let buffered = 0;
      const it = body[Symbol.asyncIterator]();
      let done = false;
      while (buffered <= this.partSize) {
        const next = await it.next();
        if (next.done) {
          done = true;
          break;
        }
        const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
        head.push(chunk);
        buffered += chunk.length;
      }
      if (done) {
        await this.client.putObject(bucket, key, Buffer.concat(head));
        return;
      }
      const rest = Readable.from(
        (async function* () {
          yield* head;
          for (let n = await it.next(); !n.done; n = await it.next()) yield n.value;
        })(),
      );
      await this.client.putObject(bucket, key, rest, this.partSize * MAX_PARTS - 1);
    } catch (err) {
      this.fail(err, bucket, key);
    }
  }

  async getObject(bucket: string, key: string): Promise<Readable> {
    try {
      return await this.client.getObject(bucket, key);
    } catch (err) {
      this.fail(err, bucket, key);
    }
  }

  /**
   * The object, pushed into `sink` as fast as the transport allows (see ObjectStore.readObject):
   * a presigned GET read straight off the socket into one reused buffer (ranged GETs on one
   * kept-alive connection with `rangeBytes`). Over https, or if the server answers in a way that
   * simple client does not decode, the minio client's stream (getPartialObject per range).
   */
  async readObject(bucket: string, key: string, sink: (chunk: Buffer) => void, opts: ReadObjectOptions = {}): Promise<number> {
    const { signal, rangeBytes } = opts;
    if (rangeBytes !== undefined && !(Number.isSafeInteger(rangeBytes) && rangeBytes >= 0)) {
      throw new UserError(`rangeBytes: ${rangeBytes} is not a whole number of bytes >= 0 (0 or unset: the object in one GET)`);
    }
    if (signal?.aborted) throw this.aborted(bucket, key, 0, signal.reason);
    if (this.options.useSSL || this.options.socketGet === false) return this.readObjectStream(bucket, key, sink, opts);
    let url: URL;
    try {
      url = new URL(await this.client.presignedGetObject(bucket, key, PRESIGN_SECONDS));
    } catch (err) {
      this.fail(err, bucket, key);
    }
    let started = false;
    let requested = false;
    const onFirstRequest = () => {
      requested = true;
      opts.onFirstRequest?.();
    };
    try {
      return await socketGet(
        url,
        (chunk) => {
          started = true;
          sink(chunk);
        },
        { rangeBytes, signal, onFirstRequest },
      );
    } catch (err) {
      if (err instanceof ReadAbortedError) throw this.aborted(bucket, key, err.bytes, err.reason);
      if (err instanceof UnsupportedResponse && !started) return this.readObjectStream(bucket, key, sink, { ...opts, onFirstRequest: requested ? undefined : opts.onFirstRequest });
      if (err instanceof HttpStatusError && err.status === 412) throw this.changed(bucket, key);
      if (err instanceof HttpStatusError) this.fail(s3Error(err), bucket, key);
      // before the first byte, a network error is the server (or the proxy in front of it) being down
      if (!started) this.fail(err, bucket, key);
      throw err;
    }
  }

  private aborted(bucket: string, key: string, bytes: number, reason: unknown): ReadAbortedError {
    return new ReadAbortedError(`reading s3://${bucket}/${key}`, bytes, reason);
  }

  private changed(bucket: string, key: string, detail = 'its ETag changed'): Error {
    return new Error(`object s3://${bucket}/${key} changed while it was read in ranges (${detail}): read it again`);
  }

  /**
   * readObject over the minio client: one getObject, or one getPartialObject per range. The
   * client takes no signal, so an abort destroys the body stream (and its socket); one that comes
   * while a request waits for its answer rejects at once and destroys that answer when it comes.
   */
  private async readObjectStream(bucket: string, key: string, sink: (chunk: Buffer) => void, opts: ReadObjectOptions): Promise<number> {
    const { signal } = opts;
    const rangeBytes = opts.rangeBytes ?? 0;
    let n = 0;
    let current: Readable | undefined;
    let rejectAbort: ((e: unknown) => void) | undefined;
    const abortedP = new Promise<never>((_, reject) => (rejectAbort = reject));
    abortedP.catch(() => undefined);
    const onAbort = () => {
      const err = this.aborted(bucket, key, n, signal!.reason);
      current?.destroy(err);
      rejectAbort!(err);
    };
    /** The answer to one request, or the abort if it comes first. */
    const request = async (get: () => Promise<Readable>): Promise<Readable> => {
      if (signal?.aborted) throw this.aborted(bucket, key, n, signal.reason);
      const pending = get();
      try {
        current = await (signal ? Promise.race([pending, abortedP]) : pending);
        return current;
      } catch (err) {
        if (signal?.aborted) {
          pending.then((s) => s.destroy(), () => undefined);
          throw this.aborted(bucket, key, n, signal.reason);
        }
        throw err;
      }
    };
    const drain = async (stream: Readable): Promise<number> => {
      let got = 0;
      try {
        for await (const chunk of stream) {
          got += (chunk as Buffer).length;
          n += (chunk as Buffer).length;
          sink(chunk as Buffer);
        }
      } catch (err) {
        if (signal?.aborted) throw this.aborted(bucket, key, n, signal.reason);
        throw err;
      }
      return got;
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      opts.onFirstRequest?.();
      if (!(rangeBytes > 0)) {
        return await drain(await request(() => this.getObject(bucket, key)));
      }
      let total = -1;
      while (total < 0 || n < total) {
        let res: Readable;
        try {
          res = await request(() => this.client.getPartialObject(bucket, key, n, total < 0 ? rangeBytes : Math.min(rangeBytes, total - n)));
        } catch (err) {
          if (err instanceof ReadAbortedError) throw err;
          // bytes=0-... is unsatisfiable only for an empty object
          if ((err as S3LikeError).code === 'InvalidRange' && total < 0) return 0;
          this.fail(err, bucket, key);
        }
        const msg = res as Partial<IncomingMessage>;
        // the server ignored Range: the whole object, in the first answer
        if (msg.statusCode === 200) return await drain(res);
        const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(msg.headers?.['content-range'] ?? ''));
        if (!range || Number(range[1]) !== n) {
          res.destroy();
          throw new Error(`s3://${bucket}/${key}: the server answered a range request from byte ${n} with Content-Range ${JSON.stringify(msg.headers?.['content-range'] ?? null)}`);
        }
        if (total >= 0 && Number(range[3]) !== total) {
          res.destroy();
          throw this.changed(bucket, key, `${total} bytes, now ${range[3]}`);
        }
        total = Number(range[3]);
        const expected = Number(range[2]) - n + 1;
        const got = await drain(res);
        if (got !== expected) throw new Error(`s3://${bucket}/${key}: a range ended after ${got} of ${expected} bytes`);
      }
      return total;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      current = undefined;
    }
  }

  async statObject(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    try {
      const st = await this.client.statObject(bucket, key);
      return { key, size: st.size, etag: st.etag };
    } catch (err) {
      const code = (err as S3LikeError).code;
      if (code === 'NotFound' || code === 'NoSuchKey' || code === 'NoSuchBucket') return undefined;
      this.fail(err, bucket, key);
    }
  }

  async copyObject(srcBucket: string, srcKey: string, dstBucket: string, dstKey: string): Promise<void> {
    try {
      await this.client.copyObject(
        new Minio.CopySourceOptions({ Bucket: srcBucket, Object: srcKey }),
        new Minio.CopyDestinationOptions({ Bucket: dstBucket, Object: dstKey }),
      );
    } catch (err) {
      const code = (err as S3LikeError).code;
      // Say which side is missing: the source object, or the destination bucket.
      if (code === 'NoSuchKey') throw new ObjectNotFoundError(srcBucket, srcKey, 'object');
      if (code === 'NoSuchBucket') {
        // Servers disagree on which bucket the error names (MinIO names the source): ask.
        const srcExists = await this.client.bucketExists(srcBucket).catch(() => true);
        throw srcExists ? new ObjectNotFoundError(dstBucket, dstKey, 'bucket') : new ObjectNotFoundError(srcBucket, srcKey, 'bucket');
      }
      this.fail(err, dstBucket, dstKey);
    }
  }

  /** Deleting a missing key succeeds (S3 semantics); a missing bucket does not. */
  async deleteObject(bucket: string, key: string): Promise<void> {
    try {
      await this.client.removeObject(bucket, key);
    } catch (err) {
      this.fail(err, bucket, key);
    }
  }

  async listObjects(bucket: string, prefix = ''): Promise<ObjectInfo[]> {
    try {
      const out: ObjectInfo[] = [];
      // V1 listing: its XML parser keeps keys such as "0123" as strings.
      for await (const item of this.client.listObjects(bucket, prefix, true)) {
        const it = item as Minio.BucketItem;
        if (it.name !== undefined) out.push({ key: String(it.name), size: Number(it.size), etag: it.etag });
      }
      return out;
    } catch (err) {
      this.fail(err, bucket);
    }
  }
}
