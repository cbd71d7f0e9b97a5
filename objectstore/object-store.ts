import type { Readable } from 'node:stream';

export { ReadAbortedError } from './socket-get.js';

export interface ObjectInfo {
  key: string;
  size: number;
  etag?: string;
}

export interface ReadObjectOptions {
  /**
   * > 0: read the object as consecutive `Range: bytes=a-b` GETs of at most this many bytes, each
   * sent only once the previous range has fully arrived, over one kept-alive connection where the
   * transport allows; undefined or 0: one GET of the whole object.
   */
  rangeBytes?: number;
  /** aborts the transfer promptly (the connection is closed); rejects with ReadAbortedError */
  signal?: AbortSignal;
  /** called once, just before the first request is sent (the job's ET starts there) */
  onFirstRequest?: () => void;
}

/**
 * The object store role: one bucket per node (`bucketForNode`). Two servers behind it:
 * the embedded S3 server (objectstore/embedded-s3) and MinIO (FOGSIM_S3_ENDPOINT); one client.
 * test/objectstore/object-store.contract.test.ts runs against both.
 */
export interface ObjectStore {
  /** host:port of the S3 endpoint, for proxies that sit in front of it */
  readonly endpoint: { host: string; port: number };
  ensureBucket(bucket: string): Promise<void>;
  listBuckets(): Promise<string[]>;
  putFile(bucket: string, key: string, path: string): Promise<void>;
  putObject(bucket: string, key: string, body: Buffer | Readable, size?: number): Promise<void>;
  getObject(bucket: string, key: string): Promise<Readable>;
  /**
   * Reads a whole object into `sink`, chunk by chunk, as fast as the transport allows (the job's
   * path): a chunk is valid only during the call, its memory is reused. Resolves with the object's
   * length; rejects like getObject, or with what `sink` throws (the transfer stops there).
   * `opts.rangeBytes` > 0: the object is read as consecutive ranged GETs of at most that many
   * bytes, one after the other (each pays the latency of the path once); `opts.signal` aborts the
   * transfer at once (ReadAbortedError, name "AbortError").
   */
  readObject(bucket: string, key: string, sink: (chunk: Buffer) => void, opts?: ReadObjectOptions): Promise<number>;
  statObject(bucket: string, key: string): Promise<ObjectInfo | undefined>;
  copyObject(srcBucket: string, srcKey: string, dstBucket: string, dstKey: string): Promise<void>;
  deleteObject(bucket: string, key: string): Promise<void>;
  listObjects(bucket: string, prefix?: string): Promise<ObjectInfo[]>;
  /** Deletes an empty bucket; one that holds objects is refused (S3's BucketNotEmpty), a missing one is NotFound. */
  deleteBucket(bucket: string): Promise<void>;
}

export function bucketForNode(nodeId: number): string {
  return `node-${nodeId}`;
}
