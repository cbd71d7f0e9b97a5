import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Storage, type ObjectMeta } from './storage.js';
import { sendFile } from './send-file.js';
import { verifyPresigned, verifySigV4 } from './sigv4.js';
import { esc, errorXml, NS, S3Fault, tagValues, XML_HEAD } from './xml.js';

/**
 * A small filesystem-backed S3-compatible server (path-style addressing), the object store's
 * embedded default. It exists because s3rver streams GETs at ~150 MB/s here and rejects the
 * minio client's multipart uploads (measured: bench/objectstore.bench.ts), which would hold back
 * a job that parses ~400 MB/s.
 *
 * Auth: when credentials are configured (the default: FOGSIM's fogsim / fogsim-secret) every
 * request must carry a valid SigV4 signature, in the Authorization header or in the query of a
 * presigned URL (what the job's fast GET uses); the body is checked against the signed
 * x-amz-content-sha256 when that is a hash. aws-chunked streaming payloads are refused with
 * NotImplemented (the minio client does not send them).
 */
export interface EmbeddedS3Options {
  host?: string;
  port?: number;
  /** folder holding buckets and objects; created if missing, kept across restarts */
  dir: string;
  /** `false` accepts any request, signed or not */
  credentials?: { accessKey: string; secretKey: string } | false;
  region?: string;
}

export interface EmbeddedS3 {
  endpoint: { host: string; port: number };
  url: string;
  close(): Promise<void>;
}

const DEFAULT_CREDENTIALS = { accessKey: 'fogsim', secretKey: 'fogsim-secret' };
const MAX_LIST_KEYS = 1000;

interface Target {
  bucket?: string;
  key?: string;
  query: URLSearchParams;
}

function parseTarget(req: IncomingMessage): Target {
  const url = new URL(req.url ?? '/', 'http://s3.local');
  const rawPath = url.pathname.slice(1);
  const slash = rawPath.indexOf('/');
  const decode = (s: string): string => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw new S3Fault('InvalidArgument', `Bad percent-encoding in the request path: ${s}`);
    }
  };
  if (!rawPath) return { query: url.searchParams };
  if (slash < 0 || slash === rawPath.length - 1) return { bucket: decode(slash < 0 ? rawPath : rawPath.slice(0, -1)), query: url.searchParams };
  return { bucket: decode(rawPath.slice(0, slash)), key: decode(rawPath.slice(slash + 1)), query: url.searchParams };
}

function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined; // unsupported forms (multi-range) get the whole object, as S3 does
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) throw new S3Fault('InvalidRange', 'The requested range is not satisfiable');
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) throw new S3Fault('InvalidRange', 'The requested range is not satisfiable');
  return { start, end };
}

/**
 * If-Match (a ranged reader sends the ETag of its first answer with the next ranges): 412
 * PreconditionFailed when no listed ETag is the object's, so a reader never mixes two versions.
 */
function checkIfMatch(req: IncomingMessage, meta: ObjectMeta): void {
  const header = req.headers['if-match'];
  if (typeof header !== 'string') return;
  const tags = header.split(',').map((t) => t.trim().replace(/^W\//, '').replace(/^"|"$/g, ''));
  if (tags.includes('*') || tags.includes(meta.etag)) return;
  throw new S3Fault('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
}

function readBody(req: IncomingMessage, limit = 1 << 20): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > limit) {
        reject(new S3Fault('MalformedXML', 'Request body too large for this operation.'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function objectHeaders(meta: ObjectMeta): Record<string, string> {
  return {
    ETag: `"${meta.etag}"`,
    'Last-Modified': new Date(meta.lastModified).toUTCString(),
    'Content-Type': meta.contentType,
    'Accept-Ranges': 'bytes',
  };
}

export async function startEmbeddedS3(opts: EmbeddedS3Options): Promise<EmbeddedS3> {
  const storage = new Storage(opts.dir);
  await storage.init();
  const creds = opts.credentials === undefined ? DEFAULT_CREDENTIALS : opts.credentials;
  const region = opts.region ?? 'us-east-1';

  const send = (res: ServerResponse, status: number, body = '', headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'Content-Length': String(Buffer.byteLength(body)), ...(body ? { 'Content-Type': 'application/xml' } : {}), ...headers });
    res.end(body);
  };

  const bodyExpectations = (req: IncomingMessage): { md5Base64?: string; sha256Hex?: string; size?: number } => {
    const sha = String(req.headers['x-amz-content-sha256'] ?? '');
    if (sha.startsWith('STREAMING-')) {
      throw new S3Fault('NotImplemented', `Streaming (aws-chunked) payloads are not supported by the embedded S3 server (x-amz-content-sha256: ${sha}); send a plain body.`);
    }
    const len = req.headers['content-length'];
    return {
      md5Base64: req.headers['content-md5'] as string | undefined,
      sha256Hex: /^[0-9a-f]{64}$/.test(sha) ? sha : undefined,
      size: len !== undefined ? Number(len) : undefined,
    };
  };

  async function listBucket(res: ServerResponse, bucket: string, q: URLSearchParams): Promise<void> {
    const v2 = q.get('list-type') === '2';
    const prefix = q.get('prefix') ?? '';
    const delimiter = q.get('delimiter') ?? '';
    const maxKeys = Math.min(Number(q.get('max-keys') ?? MAX_LIST_KEYS) || MAX_LIST_KEYS, MAX_LIST_KEYS);
    const token = q.get('continuation-token');
    const after = v2 ? (token ? Buffer.from(token, 'base64url').toString('utf8') : (q.get('start-after') ?? '')) : (q.get('marker') ?? '');
    const all = await storage.listObjects(bucket);
    const contents: ObjectMeta[] = [];
    const prefixes: string[] = [];
    let truncated = false;
    let last = '';
    for (const meta of all) {
      if (!meta.key.startsWith(prefix)) continue;
      let entry: string | undefined;
      if (delimiter) {
        const i = meta.key.indexOf(delimiter, prefix.length);
        if (i >= 0) entry = meta.key.slice(0, i + delimiter.length);
      }
      // A page that ended on a common prefix resumes after every key rolled up into it.
      if (after && Buffer.compare(Buffer.from(entry ?? meta.key), Buffer.from(after)) <= 0) continue;
      if (entry !== undefined && prefixes[prefixes.length - 1] === entry) continue; // same common prefix, keys are sorted
      if (contents.length + prefixes.length >= maxKeys) {
        truncated = true;
        break;
      }
      if (entry !== undefined) {
        prefixes.push(entry);
        last = entry;
      } else {
        contents.push(meta);
        last = meta.key;
      }
    }
    // With encoding-type=url (the minio client always asks) keys travel percent-encoded, so any byte survives XML.
    const urlEncoded = q.get('encoding-type') === 'url';
    const k = (s: string): string => (urlEncoded ? encodeURIComponent(s) : esc(s));
    const items = contents
      .map((m) => `<Contents><Key>${k(m.key)}</Key><LastModified>${m.lastModified}</LastModified><ETag>&quot;${m.etag}&quot;</ETag><Size>${m.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`)
      .join('');
    const common = prefixes.map((p) => `<CommonPrefixes><Prefix>${k(p)}</Prefix></CommonPrefixes>`).join('');
    const head = `<Name>${esc(bucket)}</Name><Prefix>${k(prefix)}</Prefix>${delimiter ? `<Delimiter>${k(delimiter)}</Delimiter>` : ''}${urlEncoded ? '<EncodingType>url</EncodingType>' : ''}<MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>`;
    const paging = v2
      ? `<KeyCount>${contents.length + prefixes.length}</KeyCount>${token ? `<ContinuationToken>${esc(token)}</ContinuationToken>` : ''}${truncated ? `<NextContinuationToken>${Buffer.from(last).toString('base64url')}</NextContinuationToken>` : ''}`
      : `<Marker>${k(after)}</Marker>${truncated ? `<NextMarker>${k(last)}</NextMarker>` : ''}`;
    send(res, 200, `${XML_HEAD}<ListBucketResult ${NS}>${head}${paging}${items}${common}</ListBucketResult>`);
  }

  async function handle(req: IncomingMessage, res: ServerResponse, t: Target): Promise<void> {
    if (creds) {
      if (t.query.has('X-Amz-Signature')) verifyPresigned(req, t.query, creds.accessKey, creds.secretKey);
      else verifySigV4(req, creds.accessKey, creds.secretKey);
    }
    const method = req.method ?? 'GET';
    const q = t.query;

    if (t.bucket === undefined) {
      if (method !== 'GET') throw new S3Fault('MethodNotAllowed', 'The specified method is not allowed against this resource.');
      const buckets = await storage.listBuckets();
      const xml = buckets.map((b) => `<Bucket><Name>${esc(b.name)}</Name><CreationDate>${b.created.toISOString()}</CreationDate></Bucket>`).join('');
      return send(res, 200, `${XML_HEAD}<ListAllMyBucketsResult ${NS}><Owner><ID>fogsim</ID><DisplayName>fogsim</DisplayName></Owner><Buckets>${xml}</Buckets></ListAllMyBucketsResult>`);
    }
    const bucket = t.bucket;

    if (t.key === undefined) {
      switch (method) {
        case 'PUT':
          await readBody(req); // an optional CreateBucketConfiguration; one region here
          await storage.createBucket(bucket);
          return send(res, 200, '', { Location: `/${bucket}` });
        case 'HEAD':
          await storage.requireBucket(bucket);
          return send(res, 200, '', { 'x-amz-bucket-region': region });
        case 'DELETE':
          await storage.deleteBucket(bucket);
          return send(res, 204);
        case 'POST':
          if (q.has('delete')) {
            await storage.requireBucket(bucket);
            const xml = await readBody(req);
            const keys = tagValues(xml, 'Key');
            for (const key of keys) await storage.deleteObject(bucket, key);
            const quiet = tagValues(xml, 'Quiet')[0] === 'true';
            const deleted = quiet ? '' : keys.map((k) => `<Deleted><Key>${esc(k)}</Key></Deleted>`).join('');
            return send(res, 200, `${XML_HEAD}<DeleteResult ${NS}>${deleted}</DeleteResult>`);
          }
          break;
        case 'GET':
          if (q.has('location')) {
            await storage.requireBucket(bucket);
            // us-east-1 is written as an empty constraint, as AWS does.
            return send(res, 200, `${XML_HEAD}<LocationConstraint ${NS}>${region === 'us-east-1' ? '' : esc(region)}</LocationConstraint>`);
          }
          if (q.has('uploads')) {
            // Uploads in flight are not offered for resumption: clients start a fresh upload.
            await storage.requireBucket(bucket);
            return send(res, 200, `${XML_HEAD}<ListMultipartUploadsResult ${NS}><Bucket>${esc(bucket)}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated></ListMultipartUploadsResult>`);
          }
          if ([...q.keys()].every((k) => ['list-type', 'prefix', 'delimiter', 'max-keys', 'continuation-token', 'start-after', 'marker', 'encoding-type', 'fetch-owner'].includes(k))) {
            return listBucket(res, bucket, q);
          }
          break;
      }
      throw new S3Fault('NotImplemented', `This bucket operation is not implemented by the embedded S3 server: ${method} ?${q.toString()}`);
    }
    const key = t.key;

    switch (method) {
      case 'GET':
      case 'HEAD': {
        if (method === 'HEAD') {
          const meta = await storage.requireMeta(bucket, key);
          checkIfMatch(req, meta);
          return send(res, 200, '', { ...objectHeaders(meta), 'Content-Length': String(meta.size) });
        }
        // the version opened is the one the range and the precondition are checked against
        const opened = await storage.open(bucket, key);
        let range: { start: number; end: number } | undefined;
        try {
          checkIfMatch(req, opened.meta);
          range = parseRange(req.headers.range, opened.meta.size);
        } catch (err) {
          await opened.fh.close();
          throw err;
        }
        const length = range ? range.end - range.start + 1 : opened.meta.size;
        res.writeHead(range ? 206 : 200, {
          ...objectHeaders(opened.meta),
          'Content-Length': String(length),
          ...(range ? { 'Content-Range': `bytes ${range.start}-${range.end}/${opened.meta.size}` } : {}),
        });
        await sendFile(opened.fh, range ? range.start : 0, range ? range.end : opened.meta.size - 1, res);
        return;
      }
      case 'PUT': {
        const uploadId = q.get('uploadId');
        if (uploadId !== null) {
          const partNumber = Number(q.get('partNumber'));
          if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10000) throw new S3Fault('InvalidArgument', 'Part number must be an integer between 1 and 10000.');
          if (req.headers['x-amz-copy-source']) throw new S3Fault('NotImplemented', 'UploadPartCopy is not implemented by the embedded S3 server.');
          const etag = await storage.uploadPart(bucket, key, uploadId, partNumber, req, bodyExpectations(req));
          return send(res, 200, '', { ETag: `"${etag}"` });
        }
        const copySource = req.headers['x-amz-copy-source'];
        if (typeof copySource === 'string') {
          const src = decodeURIComponent(copySource.split('?')[0]).replace(/^\//, '');
          const slash = src.indexOf('/');
          if (slash <= 0) throw new S3Fault('InvalidArgument', `x-amz-copy-source must be /bucket/key, got ${copySource}`);
          await readBody(req);
          const meta = await storage.copyObject(src.slice(0, slash), src.slice(slash + 1), bucket, key);
          return send(res, 200, `${XML_HEAD}<CopyObjectResult ${NS}><LastModified>${meta.lastModified}</LastModified><ETag>&quot;${meta.etag}&quot;</ETag></CopyObjectResult>`);
        }
        await storage.requireBucket(bucket);
        const expect = bodyExpectations(req);
        const { blob, size, md5 } = await storage.writeBlob(req, expect);
        const meta = await storage.commit(bucket, key, {
          size,
          etag: md5.toString('hex'),
          contentType: String(req.headers['content-type'] ?? 'application/octet-stream'),
          blob,
        });
        return send(res, 200, '', { ETag: `"${meta.etag}"` });
      }
      case 'POST': {
        if (q.has('uploads')) {
          const uploadId = await storage.createUpload(bucket, key, String(req.headers['content-type'] ?? 'application/octet-stream'));
          return send(res, 200, `${XML_HEAD}<InitiateMultipartUploadResult ${NS}><Bucket>${esc(bucket)}</Bucket><Key>${esc(key)}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`);
        }
        const uploadId = q.get('uploadId');
        if (uploadId !== null) {
          const xml = await readBody(req);
          const numbers = tagValues(xml, 'PartNumber').map(Number);
          const etags = tagValues(xml, 'ETag');
          if (numbers.length !== etags.length) throw new S3Fault('MalformedXML', 'Each Part needs a PartNumber and an ETag.');
          const meta = await storage.completeUpload(bucket, key, uploadId, numbers.map((partNumber, i) => ({ partNumber, etag: etags[i] })));
          return send(res, 200, `${XML_HEAD}<CompleteMultipartUploadResult ${NS}><Location>/${esc(bucket)}/${esc(key)}</Location><Bucket>${esc(bucket)}</Bucket><Key>${esc(key)}</Key><ETag>&quot;${meta.etag}&quot;</ETag></CompleteMultipartUploadResult>`);
        }
        break;
      }
      case 'DELETE': {
        const uploadId = q.get('uploadId');
        if (uploadId !== null) await storage.abortUpload(bucket, key, uploadId);
        else await storage.deleteObject(bucket, key);
        return send(res, 204);
      }
    }
    throw new S3Fault('NotImplemented', `This object operation is not implemented by the embedded S3 server: ${method} ?${q.toString()}`);
  }

  const server = createServer((req, res) => {
    const requestId = randomBytes(8).toString('hex').toUpperCase();
    res.setHeader('x-amz-request-id', requestId);
    res.setHeader('Server', 'fogsim-embedded-s3');
    let target: Target = { query: new URLSearchParams() };
    Promise.resolve()
      .then(() => {
        target = parseTarget(req);
        return handle(req, res, target);
      })
      .catch((err: unknown) => {
        const fault = err instanceof S3Fault ? err : new S3Fault('InternalError', (err as Error)?.message ?? String(err));
        if (!(err instanceof S3Fault) && (err as NodeJS.ErrnoException)?.code === 'ERR_STREAM_PREMATURE_CLOSE') return; // the client went away
        if (res.headersSent) {
          res.destroy();
          return;
        }
        if (fault.resource.bucket === undefined && target.bucket) fault.resource.bucket = target.bucket;
        if (fault.resource.key === undefined && target.key !== undefined && fault.code === 'NoSuchKey') fault.resource.key = target.key;
        // HEAD answers carry no body, so the client reads the status alone.
        const body = req.method === 'HEAD' ? '' : errorXml(fault, requestId, new URL(req.url ?? '/', 'http://s3.local').pathname);
        send(res, fault.status, body, { 'Content-Type': 'application/xml' });
        // Unread request bodies (a refused PUT) must not be parsed as the next request.
        if (!req.complete) req.resume();
      });
  });
  // Large objects stream for a long time; Node's default request timeout (5 min) must not cut them.
  server.requestTimeout = 0;

  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: { host, port },
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
