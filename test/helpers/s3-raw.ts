import { createHash, createHmac } from 'node:crypto';
import { request } from 'node:http';
import { signV4 } from 'minio/dist/esm/signing.mjs';

/*
 * Raw S3 requests for wire tests of the embedded S3 server: the path goes out exactly as given
 * (no URL normalisation, which would hide the routing under test), signed with the minio client's
 * own SigV4 signer, or with SigV2, or as an aws-chunked body with chunk signatures built here from
 * the AWS streaming-upload definition (independently of the server's checker).
 */
export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
}

export interface RawTarget {
  host: string;
  port: number;
  accessKey: string;
  secretKey: string;
}

const REGION = 'us-east-1';
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const hmac = (k: Buffer | string, d: string) => createHmac('sha256', k).update(d).digest();

function send(t: RawTarget, method: string, path: string, headers: Record<string, string>, body: Buffer): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: t.host, port: t.port, method, path, headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const b = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b, text: b.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function v4Headers(t: RawTarget, method: string, path: string, headers: Record<string, string>, payloadHash: string, date = new Date()) {
  const all: Record<string, string> = { host: `${t.host}:${t.port}`, 'x-amz-date': date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, ''), 'x-amz-content-sha256': payloadHash, ...headers };
  const authorization = signV4({ method, path, headers: all, protocol: 'http:' }, t.accessKey, t.secretKey, REGION, date, payloadHash);
  return { headers: { ...all, authorization }, amzDate: all['x-amz-date'] };
}

/** A SigV4-signed request with the body's SHA-256 signed. */
export function rawS3(t: RawTarget, method: string, path: string, opts: { headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<RawAnswer> {
  const body = Buffer.from(opts.body ?? '');
  const { headers } = v4Headers(t, method, path, opts.headers ?? {}, sha256(body));
  return send(t, method, path, headers, body);
}

/**
 * A PUT with an aws-chunked body: STREAMING-AWS4-HMAC-SHA256-PAYLOAD (chunk signatures chained
 * from the request signature) or STREAMING-UNSIGNED-PAYLOAD-TRAILER (plain chunks, a checksum
 * trailer). `tamper` changes one byte of the second chunk after signing.
 */
export function rawChunkedPut(t: RawTarget, path: string, payload: Buffer, opts: { chunkSize?: number; mode?: 'signed' | 'unsigned-trailer'; tamper?: boolean; headers?: Record<string, string> } = {}): Promise<RawAnswer> {
  const mode = opts.mode ?? 'signed';
  const size = opts.chunkSize ?? 64 * 1024;
  const chunks: Buffer[] = [];
  for (let i = 0; i < payload.length; i += size) chunks.push(payload.subarray(i, i + size));
  chunks.push(Buffer.alloc(0));
  const contentSha = mode === 'signed' ? 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' : 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
  const extra: Record<string, string> = { 'x-amz-decoded-content-length': String(payload.length), 'content-encoding': 'aws-chunked', ...opts.headers };
  if (mode === 'unsigned-trailer') extra['x-amz-trailer'] = 'x-amz-checksum-crc32';
  const { headers, amzDate } = v4Headers(t, 'PUT', path, extra, contentSha);
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${REGION}/s3/aws4_request`;
  const key = hmac(hmac(hmac(hmac('AWS4' + t.secretKey, day), REGION), 's3'), 'aws4_request');
  let prev = /Signature=([0-9a-f]{64})/.exec(headers.authorization)![1];
  const parts: Buffer[] = [];
  chunks.forEach((c, i) => {
    if (mode === 'signed') {
      const sig = hmac(key, ['AWS4-HMAC-SHA256-PAYLOAD', amzDate, scope, prev, sha256(''), sha256(c)].join('\n')).toString('hex');
      prev = sig;
      const data = opts.tamper && i === 1 ? Buffer.from(c.map((b, j) => (j === 0 ? b ^ 1 : b))) : c;
      parts.push(Buffer.from(`${c.length.toString(16)};chunk-signature=${sig}\r\n`), data, Buffer.from('\r\n'));
    } else if (c.length > 0) {
      parts.push(Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n'));
    } else {
      parts.push(Buffer.from('0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n'));
    }
  });
  return send(t, 'PUT', path, headers, Buffer.concat(parts));
}

function v2Signature(t: RawTarget, method: string, resource: string, date: string, headers: Record<string, string>): string {
  const amz = Object.keys(headers)
    .filter((n) => n.startsWith('x-amz-'))
    .sort()
    .map((n) => `${n}:${headers[n]}\n`)
    .join('');
  const toSign = [method, headers['content-md5'] ?? '', headers['content-type'] ?? '', date, amz + resource].join('\n');
  return createHmac('sha1', t.secretKey).update(toSign).digest('base64');
}

/** A SigV2 request, `Authorization: AWS key:sig` (`resource` is the path with its signed subresources). */
export function rawS3V2(t: RawTarget, method: string, path: string, opts: { headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<RawAnswer> {
  const date = new Date().toUTCString();
  const headers = { date, ...opts.headers };
  const sig = v2Signature(t, method, path, date, headers);
  return send(t, method, path, { ...headers, host: `${t.host}:${t.port}`, authorization: `AWS ${t.accessKey}:${sig}` }, Buffer.from(opts.body ?? ''));
}

/** A SigV2 presigned GET path (AWSAccessKeyId, Expires, Signature in the query). */
export function presignV2(t: RawTarget, path: string, expiresInS = 300): string {
  const expires = String(Math.floor(Date.now() / 1000) + expiresInS);
  const sig = v2Signature(t, 'GET', path, expires, {});
  return `${path}?AWSAccessKeyId=${encodeURIComponent(t.accessKey)}&Expires=${expires}&Signature=${encodeURIComponent(sig)}`;
}

/** A GET of a path (e.g. presigned) with no signing of its own. */
export function rawGet(t: RawTarget, path: string): Promise<RawAnswer> {
  return send(t, 'GET', path, { host: `${t.host}:${t.port}` }, Buffer.alloc(0));
}

/** `<Tag>value</Tag>` occurrences in an answer */
export function xmlValues(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1]);
}
