import type { Readable } from 'node:stream';

export interface ObjectInfo {
  key: string;
  size: number;
  etag?: string;
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
   */
  readObject(bucket: string, key: string, sink: (chunk: Buffer) => void): Promise<number>;
  statObject(bucket: string, key: string): Promise<ObjectInfo | undefined>;
  copyObject(srcBucket: string, srcKey: string, dstBucket: string, dstKey: string): Promise<void>;
  deleteObject(bucket: string, key: string): Promise<void>;
  listObjects(bucket: string, prefix?: string): Promise<ObjectInfo[]>;
}

export function bucketForNode(nodeId: number): string {
  return `node-${nodeId}`;
}
