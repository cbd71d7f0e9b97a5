import { UserError } from '../../model/errors.js';

/**
 * The data set is not what the job can read: malformed or truncated JSON, or not an array of records.
 * `offset` is the byte offset (0-based, in the uncompressed JSON) where the problem was seen.
 */
export class DatasetError extends UserError {
  constructor(message: string, readonly offset: number) {
    super(message);
    this.name = 'DatasetError';
  }
}
