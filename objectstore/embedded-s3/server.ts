import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { awsChunkedDecoder, STREAMING_MODES } from './chunked.js';
import { embeddedS3Credentials, type ResolvedCredentials, type S3Credentials } from './credentials.js';
import { parseTarget, validateKey, type Target } from './keys.js';
import { Storage, type ObjectAttributes, type ObjectMeta, type PendingUpload } from './storage.js';
import { sendFile } from './send-file.js';
import { isSigV2, verifyPresigned, verifySigV2, verifySigV4, type SigningContext } from './sigv4.js';
import { esc, errorXml, NS, S3Fault, tagValues, XML_HEAD } from './xml.js';

/**
 * A small filesystem-backed S3-compatible server (path-style addressing), the object store's
 * embedded default. It exists because s3rver streams GETs at ~150 MB/s here and rejects the
 * minio client's multipart uploads (measured: bench/objectstore.bench.ts), which would hold back
 * a job that parses ~400 MB/s.
 *
 * Auth: with credentials (given, or by default a random pair kept in the data folder,
 * credentials.ts) every
 * request must carry a valid SigV4 signature, in the Authorization header or in the query of a
 * presigned URL (what the job's fast GET uses); the body is checked against the signed
 * x-amz-content-sha256 when that is a hash, and aws-chunked streaming bodies (mc, aws-cli) chunk by
 * chunk (chunked.ts). SigV2 (header and query) is checked too. Subresources it does not keep
 * (?tagging, ?acl, ?policy, ...) answer NotImplemented, never the object.
 */
export interface EmbeddedS3Options {
  host?: string;
  port?: number;
  /** folder holding buckets and objects; created if missing, kept across restarts */
  dir: string;
  /** `false` accepts any request, signed or not; unset: the data folder's own pair (embeddedS3Credentials) */
  credentials?: S3Credentials | false;
  region?: string;
}

export interface EmbeddedS3 {
  endpoint: { host: string; port: number };
  /** the keys requests must be signed with (`false`: none) */
  credentials: S3Credentials | false;
  /** given by the caller, or the data folder's pair: generated now or stored before */
  credentialSource: 'given' | 'none' | ResolvedCredentials['source'];
  url: string;
  close(): Promise<void>;
}

const MAX_LIST_KEYS = 1000;

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

function objectHeaders(meta: ObjectMeta, q?: URLSearchParams): Record<string, string> {
  const headers: Record<string, string> = {
    ETag: `"${meta.etag}"`,
    'Last-Modified': new Date(meta.lastModified).toUTCString(),
    'Content-Type': meta.contentType,
    'Accept-Ranges': 'bytes',
    ...meta.headers,
  };
  // GetObject's response-* parameters override the stored headers in this answer only
  for (const [name, header] of RESPONSE_OVERRIDES) {
    const v = q?.get(name);
    if (v) headers[header] = v;
  }
  return headers;
}

const RESPONSE_OVERRIDES: [string, string][] = [
  ['response-content-type', 'Content-Type'],
  ['response-content-disposition', 'Content-Disposition'],
  ['response-content-encoding', 'Content-Encoding'],
  ['response-content-language', 'Content-Language'],
  ['response-cache-control', 'Cache-Control'],
  ['response-expires', 'Expires'],
];
/** the representation headers S3 stores with an object and answers on GET and HEAD */
const STORED_HEADERS: Record<string, string> = {
  'cache-control': 'Cache-Control',
  'content-disposition': 'Content-Disposition',
  'content-encoding': 'Content-Encoding',
  'content-language': 'Content-Language',
  expires: 'Expires',
};
/** S3's limit on the user metadata of one object (names and values, UTF-8) */
const MAX_USER_METADATA = 2048;

/** Content type, x-amz-meta-* and the stored representation headers of a PUT, copy (REPLACE) or multipart upload. */
function attributesOf(req: IncomingMessage): ObjectAttributes {
  const headers: Record<string, string> = {};
  let userBytes = 0;
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    const v = Array.isArray(value) ? value.join(',') : value;
    if (name.startsWith('x-amz-meta-')) {
      headers[name] = v;
      userBytes += Buffer.byteLength(name.slice('x-amz-meta-'.length)) + Buffer.byteLength(v);
    } else if (STORED_HEADERS[name]) {
      // aws-chunked is how this request's body travelled, not how the object is encoded
      const kept = name === 'content-encoding' ? v.split(',').map((s) => s.trim()).filter((s) => s && s !== 'aws-chunked').join(',') : v;
      if (kept) headers[STORED_HEADERS[name]] = kept;
    }
  }
  if (userBytes > MAX_USER_METADATA) throw new S3Fault('MetadataTooLarge', `Your metadata headers exceed the maximum allowed metadata size (${userBytes} of ${MAX_USER_METADATA} bytes).`);
  return { contentType: String(req.headers['content-type'] ?? 'application/octet-stream'), headers };
}

/** query parameters a presigned URL adds, and the x-id some SDKs add to every request */
const ALWAYS_ALLOWED = /^(X-Amz-.*|x-id|AWSAccessKeyId|Signature|Expires)$/;
/** the query parameters each object operation this server implements takes; any other is a subresource it does not keep */
const OBJECT_QUERY: Record<string, string[]> = {
  GET: [...RESPONSE_OVERRIDES.map(([n]) => n), 'uploadId', 'max-parts', 'part-number-marker', 'encoding-type'],
  HEAD: RESPONSE_OVERRIDES.map(([n]) => n),
  PUT: ['uploadId', 'partNumber'],
  POST: ['uploads', 'uploadId'],
  DELETE: ['uploadId'],
};
const BUCKET_QUERY: Record<string, string[]> = {
  GET: ['list-type', 'prefix', 'delimiter', 'max-keys', 'continuation-token', 'start-after', 'marker', 'encoding-type', 'fetch-owner', 'location', 'versioning', 'uploads', 'max-uploads', 'key-marker', 'upload-id-marker'],
  HEAD: [],
  PUT: [],
  DELETE: [],
  POST: ['delete'],
};

function refuseSubresources(method: string, q: URLSearchParams, allowed: Record<string, string[]>, what: string): void {
  const unknown = [...q.keys()].filter((k) => !ALWAYS_ALLOWED.test(k) && !(allowed[method] ?? []).includes(k));
  if (unknown.length > 0) {
    throw new S3Fault('NotImplemented', `A header or query you provided requested a function that is not implemented by the embedded S3 server: ${method} ${what} ?${unknown.join('&')}.`);
  }
}

export async function startEmbeddedS3(opts: EmbeddedS3Options): Promise<EmbeddedS3> {
  const storage = new Storage(opts.dir);
  await storage.init();
  const resolved = opts.credentials === undefined ? embeddedS3Credentials(opts.dir) : undefined;
  const creds = resolved ? resolved.credentials : opts.credentials!;
  const region = opts.region ?? 'us-east-1';

  const send = (res: ServerResponse, status: number, body = '', headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'Content-Length': String(Buffer.byteLength(body)), ...(body ? { 'Content-Type': 'application/xml' } : {}), ...headers });
    res.end(body);
  };

  /**
   * The payload of a PUT and what it must match: a plain body against Content-Length, Content-MD5
   * and a signed SHA-256; an aws-chunked body decoded (its chunk signatures checked) and counted
   * against x-amz-decoded-content-length.
   */
  const payloadOf = (req: IncomingMessage, signing: SigningContext | undefined): { body: Readable; expect: { md5Base64?: string; sha256Hex?: string; size?: number } } => {
    const sha = String(req.headers['x-amz-content-sha256'] ?? '');
    const md5Base64 = req.headers['content-md5'] as string | undefined;
    if (sha.startsWith('STREAMING-')) {
      const mode = STREAMING_MODES[sha];
      if (!mode) throw new S3Fault('NotImplemented', `This streaming payload is not supported by the embedded S3 server (x-amz-content-sha256: ${sha}); supported: ${Object.keys(STREAMING_MODES).join(', ')}.`);
      const decoded = req.headers['x-amz-decoded-content-length'];
      if (decoded === undefined || !/^\d+$/.test(String(decoded))) throw new S3Fault('MissingContentLength', 'An aws-chunked body needs x-amz-decoded-content-length: the length of the payload.');
      const decoder = awsChunkedDecoder(mode, signing);
      req.on('error', (err) => decoder.destroy(err));
      return { body: req.pipe(decoder), expect: { md5Base64, size: Number(decoded) } };
    }
    const len = req.headers['content-length'];
    return { body: req, expect: { md5Base64, sha256Hex: /^[0-9a-f]{64}$/.test(sha) ? sha : undefined, size: len !== undefined ? Number(len) : undefined } };
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

  const owner = '<ID>fogsim</ID><DisplayName>fogsim</DisplayName>';

  function listUploads(res: ServerResponse, bucket: string, q: URLSearchParams, all: PendingUpload[]): void {
    const prefix = q.get('prefix') ?? '';
    const keyMarker = q.get('key-marker') ?? '';
    const idMarker = q.get('upload-id-marker') ?? '';
    const max = Math.min(Number(q.get('max-uploads') ?? 1000) || 1000, 1000);
    const after = all.filter((u) => !keyMarker || u.key > keyMarker || (u.key === keyMarker && idMarker !== '' && u.uploadId > idMarker));
    const page = after.slice(0, max);
    const truncated = after.length > page.length;
    const last = page[page.length - 1];
    const items = page
      .map((u) => `<Upload><Key>${esc(u.key)}</Key><UploadId>${u.uploadId}</UploadId><Initiator>${owner}</Initiator><Owner>${owner}</Owner><StorageClass>STANDARD</StorageClass><Initiated>${u.initiated}</Initiated></Upload>`)
      .join('');
    const next = truncated && last ? `<NextKeyMarker>${esc(last.key)}</NextKeyMarker><NextUploadIdMarker>${last.uploadId}</NextUploadIdMarker>` : '';
    send(res, 200, `${XML_HEAD}<ListMultipartUploadsResult ${NS}><Bucket>${esc(bucket)}</Bucket><KeyMarker>${esc(keyMarker)}</KeyMarker><UploadIdMarker>${esc(idMarker)}</UploadIdMarker>${next}<Prefix>${esc(prefix)}</Prefix><MaxUploads>${max}</MaxUploads><IsTruncated>${truncated}</IsTruncated>${items}</ListMultipartUploadsResult>`);
  }

  async function listParts(res: ServerResponse, bucket: string, key: string, uploadId: string, q: URLSearchParams): Promise<void> {
    const marker = Number(q.get('part-number-marker') ?? 0) || 0;
    const max = Math.min(Number(q.get('max-parts') ?? 1000) || 1000, 1000);
    const after = (await storage.listParts(bucket, key, uploadId)).filter((p) => p.partNumber > marker);
    const page = after.slice(0, max);
    const truncated = after.length > page.length;
    const next = page.length ? page[page.length - 1].partNumber : marker;
    const items = page.map((p) => `<Part><PartNumber>${p.partNumber}</PartNumber><LastModified>${p.lastModified}</LastModified><ETag>&quot;${p.etag}&quot;</ETag><Size>${p.size}</Size></Part>`).join('');
    send(res, 200, `${XML_HEAD}<ListPartsResult ${NS}><Bucket>${esc(bucket)}</Bucket><Key>${esc(key)}</Key><UploadId>${esc(uploadId)}</UploadId><Initiator>${owner}</Initiator><Owner>${owner}</Owner><StorageClass>STANDARD</StorageClass><PartNumberMarker>${marker}</PartNumberMarker><NextPartNumberMarker>${next}</NextPartNumberMarker><MaxParts>${max}</MaxParts><IsTruncated>${truncated}</IsTruncated>${items}</ListPartsResult>`);
  }

  /** `x-amz-copy-source: [/]bucket/key[?versionId=...]`, percent-encoded; the key checked as any key */
  function copySourceOf(header: string): { bucket: string; key: string } {
    let src: string;
    try {
      src = decodeURIComponent(header.split('?')[0]).replace(/^\//, '');
    } catch {
      throw new S3Fault('InvalidArgument', `x-amz-copy-source: bad percent-encoding in ${header}`);
    }
    const slash = src.indexOf('/');
    if (slash <= 0 || slash === src.length - 1) throw new S3Fault('InvalidArgument', `x-amz-copy-source must be /bucket/key, got ${header}`);
    const bucket = src.slice(0, slash);
    const key = src.slice(slash + 1);
    validateKey(key, bucket);
    return { bucket, key };
  }

  async function handle(req: IncomingMessage, res: ServerResponse, t: Target): Promise<void> {
    const q = t.query;
    let signing: SigningContext | undefined;
    if (creds) {
      if (isSigV2(req, q)) verifySigV2(req, q, creds.accessKey, creds.secretKey);
      else if (q.has('X-Amz-Signature')) signing = verifyPresigned(req, q, creds.accessKey, creds.secretKey);
      else signing = verifySigV4(req, creds.accessKey, creds.secretKey);
    }
    const method = req.method ?? 'GET';

    if (t.bucket === undefined) {
      if (method !== 'GET') throw new S3Fault('MethodNotAllowed', 'The specified method is not allowed against this resource.');
      const buckets = await storage.listBuckets();
      const xml = buckets.map((b) => `<Bucket><Name>${esc(b.name)}</Name><CreationDate>${b.created.toISOString()}</CreationDate></Bucket>`).join('');
      return send(res, 200, `${XML_HEAD}<ListAllMyBucketsResult ${NS}><Owner>${owner}</Owner><Buckets>${xml}</Buckets></ListAllMyBucketsResult>`);
    }
    const bucket = t.bucket;

    if (t.key === undefined) {
      refuseSubresources(method, q, BUCKET_QUERY, 'bucket');
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
        case 'POST': {
          await storage.requireBucket(bucket);
          const xml = await readBody(req);
          const keys = tagValues(xml, 'Key');
          for (const key of keys) validateKey(key, bucket);
          for (const key of keys) await storage.deleteObject(bucket, key);
          const quiet = tagValues(xml, 'Quiet')[0] === 'true';
          const deleted = quiet ? '' : keys.map((k) => `<Deleted><Key>${esc(k)}</Key></Deleted>`).join('');
          return send(res, 200, `${XML_HEAD}<DeleteResult ${NS}>${deleted}</DeleteResult>`);
        }
        case 'GET':
          if (q.has('location')) {
            await storage.requireBucket(bucket);
            // us-east-1 is written as an empty constraint, as AWS does.
            return send(res, 200, `${XML_HEAD}<LocationConstraint ${NS}>${region === 'us-east-1' ? '' : esc(region)}</LocationConstraint>`);
          }
          if (q.has('versioning')) {
            // buckets here are never versioned: an empty configuration is how S3 says so
            await storage.requireBucket(bucket);
            return send(res, 200, `${XML_HEAD}<VersioningConfiguration ${NS}></VersioningConfiguration>`);
          }
          if (q.has('uploads')) return listUploads(res, bucket, q, await storage.listUploads(bucket, q.get('prefix') ?? ''));
          return listBucket(res, bucket, q);
      }
      throw new S3Fault('NotImplemented', `This bucket operation is not implemented by the embedded S3 server: ${method} ?${q.toString()}`);
    }
    const key = t.key;
    refuseSubresources(method, q, OBJECT_QUERY, 'object');

    switch (method) {
      case 'GET':
      case 'HEAD': {
        const uploadId = q.get('uploadId');
        if (uploadId !== null && method === 'GET') return listParts(res, bucket, key, uploadId, q);
        if (method === 'HEAD') {
          const meta = await storage.requireMeta(bucket, key);
          checkIfMatch(req, meta);
          return send(res, 200, '', { ...objectHeaders(meta, q), 'Content-Length': String(meta.size) });
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
          ...objectHeaders(opened.meta, q),
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
          const { body, expect } = payloadOf(req, signing);
          const etag = await storage.uploadPart(bucket, key, uploadId, partNumber, body, expect);
          return send(res, 200, '', { ETag: `"${etag}"` });
        }
        const copySource = req.headers['x-amz-copy-source'];
        if (typeof copySource === 'string') {
          const src = copySourceOf(copySource);
          const directive = String(req.headers['x-amz-metadata-directive'] ?? 'COPY').toUpperCase();
          if (directive !== 'COPY' && directive !== 'REPLACE') throw new S3Fault('InvalidArgument', `Unknown metadata directive: ${directive}; expected COPY or REPLACE.`);
          await readBody(req);
          const meta = await storage.copyObject(src.bucket, src.key, bucket, key, directive === 'REPLACE' ? attributesOf(req) : undefined);
          return send(res, 200, `${XML_HEAD}<CopyObjectResult ${NS}><LastModified>${meta.lastModified}</LastModified><ETag>&quot;${meta.etag}&quot;</ETag></CopyObjectResult>`);
        }
        const attrs = attributesOf(req);
        await storage.requireBucket(bucket);
        const { body, expect } = payloadOf(req, signing);
        const { blob, size, md5 } = await storage.writeBlob(body, expect);
        const meta = await storage.commit(bucket, key, { size, etag: md5.toString('hex'), blob, ...attrs });
        return send(res, 200, '', { ETag: `"${meta.etag}"` });
      }
      case 'POST': {
        if (q.has('uploads')) {
          const uploadId = await storage.createUpload(bucket, key, attributesOf(req));
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
    let target: Target = { query: new URLSearchParams(), resource: (req.url ?? '/').split('?')[0] };
    Promise.resolve()
      .then(() => {
        target = parseTarget(req.url ?? '/');
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
        const body = req.method === 'HEAD' ? '' : errorXml(fault, requestId, target.resource);
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
    credentials: creds,
    credentialSource: resolved ? resolved.source : creds ? 'given' : 'none',
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
