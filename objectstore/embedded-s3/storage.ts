import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { S3Fault } from './xml.js';

/**
 * Filesystem layout (all under `dir`):
 *   <bucket>/o<encoded key>   a small JSON "pointer": etag, size, content type, blob name
 *   .blobs/<uuid>             immutable object bytes
 *   .uploads/<uploadId>/      multipart parts in flight
 * A write streams into a fresh blob, then atomically renames a new pointer over the old one,
 * so a reader sees either the old object or the new one, never half of one. Blobs are never
 * rewritten, so a copy is a hard link and an open reader keeps its bytes after an overwrite.
 * Bucket names cannot start with '.', so the dot folders never clash with a bucket.
 */
export interface ObjectMeta {
  key: string;
  size: number;
  etag: string;
  contentType: string;
  lastModified: string;
  blob: string;
  /** user metadata (x-amz-meta-*, names lower-cased) and the stored representation headers (Cache-Control, ...) */
  headers?: Record<string, string>;
}

/** What a PUT, a copy with REPLACE or a multipart upload sets besides the bytes. */
export interface ObjectAttributes {
  contentType: string;
  headers: Record<string, string>;
}

/** A multipart upload in flight, as ListMultipartUploads answers it. */
export interface PendingUpload {
  key: string;
  uploadId: string;
  initiated: string;
}

/** An uploaded part, as ListParts answers it. */
export interface UploadedPart {
  partNumber: number;
  etag: string;
  size: number;
  lastModified: string;
}

/** S3's minimum size of every part but the last one of a multipart upload */
export const MIN_PART_SIZE = 5 * 1024 * 1024;

interface UploadInfo extends ObjectAttributes {
  bucket: string;
  key: string;
  initiated?: string;
}

const BLOBS = '.blobs';
const UPLOADS = '.uploads';
const TMP = '.tmp';

export function validBucketName(name: string): boolean {
  return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) && !name.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(name);
}

/** the longest file name most filesystems take */
const MAX_FILE_NAME = 255;

/**
 * Object keys become file names: a prefix keeps "." and ".." harmless, encoding removes "/". A key
 * whose encoding is longer than a file name (S3 keys go to 1024 bytes) is stored under `h` and its
 * SHA-256; its pointer holds the key, which listing reads back.
 */
function fileNameForKey(key: string): string {
  const name = 'o' + encodeURIComponent(key);
  return Buffer.byteLength(name) <= MAX_FILE_NAME ? name : 'h' + createHash('sha256').update(key).digest('hex');
}

function keyForFileName(name: string): string | undefined {
  if (!name.startsWith('o')) return undefined;
  try {
    return decodeURIComponent(name.slice(1));
  } catch {
    return undefined;
  }
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ENOENT';
}

export class Storage {
  constructor(readonly dir: string) {}

  async init(): Promise<void> {
    await fsp.mkdir(path.join(this.dir, BLOBS), { recursive: true });
    await fsp.mkdir(path.join(this.dir, UPLOADS), { recursive: true });
    // Temp files from a crash are garbage: nothing points at them.
    await fsp.rm(path.join(this.dir, TMP), { recursive: true, force: true });
    await fsp.mkdir(path.join(this.dir, TMP), { recursive: true });
  }

  private bucketDir(bucket: string): string {
    return path.join(this.dir, bucket);
  }

  private pointerPath(bucket: string, key: string): string {
    return path.join(this.bucketDir(bucket), fileNameForKey(key));
  }

  blobPath(blob: string): string {
    return path.join(this.dir, BLOBS, blob);
  }

  private tmpPath(): string {
    return path.join(this.dir, TMP, randomUUID());
  }

  async listBuckets(): Promise<{ name: string; created: Date }[]> {
    const entries = await fsp.readdir(this.dir, { withFileTypes: true });
    const out: { name: string; created: Date }[] = [];
    for (const e of entries) {
      if (!e.isDirectory() || e.name.startsWith('.')) continue;
      const st = await fsp.stat(path.join(this.dir, e.name));
      out.push({ name: e.name, created: st.birthtime.getTime() ? st.birthtime : st.mtime });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  async bucketExists(bucket: string): Promise<boolean> {
    if (!validBucketName(bucket)) return false;
    try {
      return (await fsp.stat(this.bucketDir(bucket))).isDirectory();
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async requireBucket(bucket: string): Promise<void> {
    if (!(await this.bucketExists(bucket))) throw new S3Fault('NoSuchBucket', 'The specified bucket does not exist', { bucket });
  }

  async createBucket(bucket: string): Promise<void> {
    if (!validBucketName(bucket)) throw new S3Fault('InvalidBucketName', 'The specified bucket is not valid.', { bucket });
    try {
      await fsp.mkdir(this.bucketDir(bucket));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new S3Fault('BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', { bucket });
      }
      throw err;
    }
  }

  async deleteBucket(bucket: string): Promise<void> {
    await this.requireBucket(bucket);
    try {
      await fsp.rmdir(this.bucketDir(bucket));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOTEMPTY') {
        throw new S3Fault('BucketNotEmpty', 'The bucket you tried to delete is not empty', { bucket });
      }
      throw err;
    }
  }

  async readMeta(bucket: string, key: string): Promise<ObjectMeta | undefined> {
    try {
      return JSON.parse(await fsp.readFile(this.pointerPath(bucket, key), 'utf8')) as ObjectMeta;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async requireMeta(bucket: string, key: string): Promise<ObjectMeta> {
    const meta = await this.readMeta(bucket, key);
    if (meta) return meta;
    await this.requireBucket(bucket);
    throw new S3Fault('NoSuchKey', 'The specified key does not exist.', { bucket, key });
  }

  /**
   * Opens the object's bytes. An overwrite or delete between reading the pointer and opening
   * the blob unlinks that blob: read the pointer again (bounded) and open the newer one.
   */
  async open(bucket: string, key: string): Promise<{ meta: ObjectMeta; fh: FileHandle }> {
    for (let attempt = 0; ; attempt++) {
      const meta = await this.requireMeta(bucket, key);
      try {
        return { meta, fh: await fsp.open(this.blobPath(meta.blob), 'r') };
      } catch (err) {
        if (!isNotFound(err) || attempt >= 5) throw err;
      }
    }
  }

  /** Streams `body` into a new blob; returns its name, size and md5 (hex). */
  async writeBlob(body: Readable, expect: { md5Base64?: string; sha256Hex?: string; size?: number }): Promise<{ blob: string; size: number; md5: Buffer }> {
    const blob = randomUUID();
    const tmp = this.tmpPath();
    const md5 = createHash('md5');
    const sha = expect.sha256Hex ? createHash('sha256') : undefined;
    let size = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        md5.update(chunk);
        sha?.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    });
    try {
      await pipeline(body, tap, createWriteStream(tmp, { highWaterMark: 1 << 20 }));
      const digest = md5.digest();
      if (expect.size !== undefined && expect.size !== size) {
        throw new S3Fault('IncompleteBody', `You did not provide the number of bytes specified by the Content-Length HTTP header (${size} of ${expect.size}).`);
      }
      if (expect.md5Base64 !== undefined && digest.toString('base64') !== expect.md5Base64) {
        throw new S3Fault('BadDigest', 'The Content-MD5 you specified did not match what we received.');
      }
      if (sha && sha.digest('hex') !== expect.sha256Hex) {
        throw new S3Fault('XAmzContentSHA256Mismatch', 'The provided x-amz-content-sha256 header does not match what was computed.');
      }
      await fsp.rename(tmp, this.blobPath(blob));
      return { blob, size, md5: digest };
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      throw err;
    }
  }

  /** Points `key` at `blob` atomically and drops the blob it pointed at before. */
  async commit(bucket: string, key: string, meta: Omit<ObjectMeta, 'key' | 'lastModified'>): Promise<ObjectMeta> {
    const full: ObjectMeta = { key, lastModified: new Date().toISOString(), ...meta };
    const pointer = this.pointerPath(bucket, key);
    const old = await this.readMeta(bucket, key);
    const tmp = this.tmpPath();
    await fsp.writeFile(tmp, JSON.stringify(full));
    try {
      await fsp.rename(tmp, pointer);
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      await fsp.rm(this.blobPath(meta.blob), { force: true });
      // The bucket was deleted while the body streamed in.
      if (isNotFound(err)) throw new S3Fault('NoSuchBucket', 'The specified bucket does not exist', { bucket });
      throw err;
    }
    if (old && old.blob !== meta.blob) await fsp.rm(this.blobPath(old.blob), { force: true });
    return full;
  }

  async deleteObject(bucket: string, key: string): Promise<void> {
    await this.requireBucket(bucket);
    const meta = await this.readMeta(bucket, key);
    if (!meta) return; // S3 semantics: deleting a missing key succeeds
    try {
      await fsp.unlink(this.pointerPath(bucket, key));
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    await fsp.rm(this.blobPath(meta.blob), { force: true });
  }

  /**
   * Server-side copy: a hard link to the immutable source blob (a byte copy across devices).
   * `replace` sets new attributes (x-amz-metadata-directive: REPLACE); without it the source's are kept.
   */
  async copyObject(srcBucket: string, srcKey: string, dstBucket: string, dstKey: string, replace?: ObjectAttributes): Promise<ObjectMeta> {
    await this.requireBucket(dstBucket);
    for (let attempt = 0; ; attempt++) {
      const src = await this.requireMeta(srcBucket, srcKey);
      if (srcBucket === dstBucket && srcKey === dstKey && !replace) {
        throw new S3Fault('InvalidRequest', "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.");
      }
      const blob = randomUUID();
      try {
        await fsp.link(this.blobPath(src.blob), this.blobPath(blob));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' && attempt < 5) continue; // source overwritten meanwhile: copy the newer one
        if (code !== 'EXDEV' && code !== 'EPERM') throw err;
        await fsp.copyFile(this.blobPath(src.blob), this.blobPath(blob));
      }
      const attrs = replace ?? { contentType: src.contentType, headers: src.headers ?? {} };
      return this.commit(dstBucket, dstKey, { size: src.size, etag: src.etag, blob, ...attrs });
    }
  }

  async listObjects(bucket: string): Promise<ObjectMeta[]> {
    await this.requireBucket(bucket);
    const names = await fsp.readdir(this.bucketDir(bucket));
    const keys = names.map(keyForFileName).filter((k): k is string => k !== undefined);
    for (const name of names.filter((n) => n.startsWith('h'))) {
      try {
        keys.push((JSON.parse(await fsp.readFile(path.join(this.bucketDir(bucket), name), 'utf8')) as ObjectMeta).key);
      } catch (err) {
        if (!isNotFound(err)) throw err; // deleted meanwhile
      }
    }
    // S3 orders keys by their UTF-8 bytes.
    keys.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const out: ObjectMeta[] = [];
    for (const key of keys) {
      const meta = await this.readMeta(bucket, key);
      if (meta) out.push(meta);
    }
    return out;
  }

  // ---- multipart ----

  private uploadDir(uploadId: string): string {
    if (!/^[0-9a-f-]{36}$/.test(uploadId)) throw new S3Fault('NoSuchUpload', 'The specified multipart upload does not exist.');
    return path.join(this.dir, UPLOADS, uploadId);
  }

  async createUpload(bucket: string, key: string, attrs: ObjectAttributes): Promise<string> {
    await this.requireBucket(bucket);
    const uploadId = randomUUID();
    const dir = this.uploadDir(uploadId);
    await fsp.mkdir(dir);
    const info: UploadInfo = { bucket, key, initiated: new Date().toISOString(), ...attrs };
    await fsp.writeFile(path.join(dir, 'upload.json'), JSON.stringify(info));
    return uploadId;
  }

  /** The uploads in flight in `bucket` whose key starts with `prefix`, by key then start time. */
  async listUploads(bucket: string, prefix = ''): Promise<PendingUpload[]> {
    await this.requireBucket(bucket);
    const out: (PendingUpload & { bucket: string })[] = [];
    for (const uploadId of await fsp.readdir(path.join(this.dir, UPLOADS))) {
      try {
        const info = JSON.parse(await fsp.readFile(path.join(this.uploadDir(uploadId), 'upload.json'), 'utf8')) as UploadInfo;
        if (info.bucket === bucket && info.key.startsWith(prefix)) out.push({ bucket, key: info.key, uploadId, initiated: info.initiated ?? new Date(0).toISOString() });
      } catch (err) {
        if (!isNotFound(err) && !(err instanceof S3Fault)) throw err; // completed or aborted meanwhile
      }
    }
    return out
      .sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)) || (a.initiated < b.initiated ? -1 : a.initiated > b.initiated ? 1 : 0))
      .map(({ key, uploadId, initiated }) => ({ key, uploadId, initiated }));
  }

  /** The parts uploaded so far, by part number. */
  async listParts(bucket: string, key: string, uploadId: string): Promise<UploadedPart[]> {
    const { dir } = await this.readUpload(bucket, key, uploadId);
    const parts: UploadedPart[] = [];
    for (const name of await fsp.readdir(dir)) {
      const m = /^part-(\d+)$/.exec(name);
      if (!m) continue;
      try {
        const st = await fsp.stat(path.join(dir, name));
        const etag = (await fsp.readFile(path.join(dir, `${name}.etag`), 'utf8')).trim();
        parts.push({ partNumber: Number(m[1]), etag, size: st.size, lastModified: st.mtime.toISOString() });
      } catch (err) {
        if (!isNotFound(err)) throw err; // a part being re-sent
      }
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  private async readUpload(bucket: string, key: string, uploadId: string): Promise<{ dir: string } & ObjectAttributes> {
    const dir = this.uploadDir(uploadId);
    try {
      const info = JSON.parse(await fsp.readFile(path.join(dir, 'upload.json'), 'utf8')) as UploadInfo;
      if (info.bucket !== bucket || info.key !== key) throw new S3Fault('NoSuchUpload', 'The specified multipart upload does not exist.', { bucket, key });
      return { dir, contentType: info.contentType, headers: info.headers ?? {} };
    } catch (err) {
      if (isNotFound(err)) throw new S3Fault('NoSuchUpload', 'The specified multipart upload does not exist.', { bucket, key });
      throw err;
    }
  }

  async uploadPart(bucket: string, key: string, uploadId: string, partNumber: number, body: Readable, expect: { md5Base64?: string; sha256Hex?: string; size?: number }): Promise<string> {
    const { dir } = await this.readUpload(bucket, key, uploadId);
    const { blob, md5 } = await this.writeBlob(body, expect);
    // Parts are renamed into the upload folder, so a re-sent part replaces the earlier one.
    await fsp.rename(this.blobPath(blob), path.join(dir, `part-${partNumber}`));
    const etag = md5.toString('hex');
    await fsp.writeFile(path.join(dir, `part-${partNumber}.etag`), etag);
    return etag;
  }

  async completeUpload(bucket: string, key: string, uploadId: string, parts: { partNumber: number; etag: string }[]): Promise<ObjectMeta> {
    const { dir, contentType, headers } = await this.readUpload(bucket, key, uploadId);
    if (parts.length === 0) throw new S3Fault('MalformedXML', 'The XML you provided was not well-formed or did not validate: no parts.');
    for (let i = 1; i < parts.length; i++) {
      if (parts[i].partNumber <= parts[i - 1].partNumber) throw new S3Fault('InvalidPartOrder', 'The list of parts was not in ascending order.');
    }
    const md5s: Buffer[] = [];
    for (const p of parts) {
      let etag: string;
      try {
        etag = (await fsp.readFile(path.join(dir, `part-${p.partNumber}.etag`), 'utf8')).trim();
      } catch (err) {
        if (isNotFound(err)) throw new S3Fault('InvalidPart', `Part ${p.partNumber} was not uploaded.`, { bucket, key });
        throw err;
      }
      if (etag !== p.etag.replace(/"/g, '')) throw new S3Fault('InvalidPart', `Part ${p.partNumber}: ETag does not match the uploaded part.`, { bucket, key });
      md5s.push(Buffer.from(etag, 'hex'));
    }
    for (const p of parts.slice(0, -1)) {
      const size = (await fsp.stat(path.join(dir, `part-${p.partNumber}`))).size;
      if (size < MIN_PART_SIZE) {
        throw new S3Fault('EntityTooSmall', `Your proposed upload is smaller than the minimum allowed object size: part ${p.partNumber} is ${size} bytes; every part but the last must be at least ${MIN_PART_SIZE} bytes (5 MiB).`, { bucket, key });
      }
    }
    const blob = randomUUID();
    const tmp = this.tmpPath();
    const out = createWriteStream(tmp, { highWaterMark: 1 << 20 });
    let size = 0;
    try {
      for (const p of parts) {
        const partPath = path.join(dir, `part-${p.partNumber}`);
        size += (await fsp.stat(partPath)).size;
        for await (const chunk of createReadStream(partPath, { highWaterMark: 1 << 20 })) {
          if (!out.write(chunk)) await once(out, 'drain');
        }
      }
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
      await fsp.rename(tmp, this.blobPath(blob));
    } catch (err) {
      out.destroy();
      await fsp.rm(tmp, { force: true });
      throw err;
    }
    const etag = `${createHash('md5').update(Buffer.concat(md5s)).digest('hex')}-${parts.length}`;
    const meta = await this.commit(bucket, key, { size, etag, contentType, headers, blob });
    await fsp.rm(dir, { recursive: true, force: true });
    return meta;
  }

  async abortUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    const { dir } = await this.readUpload(bucket, key, uploadId);
    await fsp.rm(dir, { recursive: true, force: true });
  }
}
