import { createHmac, createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { S3Fault } from './xml.js';

/** RFC 3986 encoding as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, '%20'));
  } catch {
    return s;
  }
}

function canonicalQuery(rawQuery: string): string {
  if (!rawQuery) return '';
  return rawQuery
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const i = pair.indexOf('=');
      const k = i < 0 ? pair : pair.slice(0, i);
      const v = i < 0 ? '' : pair.slice(i + 1);
      return [uriEncode(safeDecode(k)), uriEncode(safeDecode(v))] as const;
    })
    .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) : a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function canonicalHeaders(req: IncomingMessage, signedHeaders: string): string {
  return signedHeaders
    .split(';')
    .map((name) => {
      const v = req.headers[name];
      const value = Array.isArray(v) ? v.join(',') : (v ?? '');
      return `${name}:${String(value).trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
}

/** What a verified header signature leaves for the chunks of a streaming body to be checked against. */
export interface SigningContext {
  signingKey: Buffer;
  amzDate: string;
  /** date/region/service/aws4_request */
  scope: string;
  /** the request's signature: the seed of the chunk signature chain */
  signature: string;
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** HMAC of `toSign` with the signing key, compared to the hex `signature` in constant time. */
export function signatureMatches(signingKey: Buffer, toSign: string, signature: string): boolean {
  const given = Buffer.from(signature, 'hex');
  const expected = hmac(signingKey, toSign);
  return given.length === expected.length && timingSafeEqual(expected, given);
}

/** Rebuilds the string the client signed and compares signatures (constant time). */
function checkSignature(secretKey: string, canonical: string, amzDate: string, scopeParts: string[], signature: string): SigningContext {
  const [date, region, service] = scopeParts;
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonical)].join('\n');
  const signingKey = hmac(hmac(hmac(hmac('AWS4' + secretKey, date), region), service), 'aws4_request');
  if (!signatureMatches(signingKey, toSign, signature)) {
    throw new S3Fault('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your secret key.');
  }
  return { signingKey, amzDate, scope, signature };
}

/** the query parameters SigV2 signs as part of the resource (the list boto and MinIO share) */
const V2_SUBRESOURCES = new Set(
  'accelerate acl cors defaultObjectAcl delete lifecycle location logging notification object-lock partNumber policy replication requestPayment restore retention legal-hold select select-type storageClass tagging torrent uploadId uploads versionId versioning versions website response-cache-control response-content-disposition response-content-encoding response-content-language response-content-type response-expires'.split(' '),
);

function header(req: IncomingMessage, name: string): string {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : (v ?? '');
}

/** True when the request is signed with SigV2: `Authorization: AWS key:sig`, or AWSAccessKeyId + Signature in the query. */
export function isSigV2(req: IncomingMessage, query: URLSearchParams): boolean {
  return /^AWS\s+[^:]+:/.test(req.headers.authorization ?? '') || (query.has('AWSAccessKeyId') && query.has('Signature'));
}

/**
 * Checks an AWS Signature Version 2 request (aws-cli v1's `s3 presign`, boto's signature_version
 * "s3"), header or query form: HMAC-SHA1 over the method, Content-MD5, Content-Type, the date (the
 * Expires second of a URL), the x-amz-* headers and the resource (raw path plus the signed
 * subresources). SigV2 signs no payload hash; a Content-MD5, when sent, is still checked.
 */
export function verifySigV2(req: IncomingMessage, query: URLSearchParams, accessKey: string, secretKey: string, now = Date.now()): void {
  let givenKey: string;
  let signature: string;
  let date: string;
  const auth = /^AWS\s+([^:]+):(\S+)$/.exec(req.headers.authorization ?? '');
  if (auth) {
    [, givenKey, signature] = auth;
    date = req.headers['x-amz-date'] ? '' : header(req, 'date');
    if (!date && !req.headers['x-amz-date']) throw new S3Fault('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  } else {
    givenKey = query.get('AWSAccessKeyId') ?? '';
    signature = query.get('Signature') ?? '';
    date = query.get('Expires') ?? '';
    if (!/^\d+$/.test(date)) throw new S3Fault('AccessDenied', 'Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters');
    if (now > Number(date) * 1000) throw new S3Fault('AccessDenied', 'Request has expired');
  }
  if (givenKey !== accessKey) throw new S3Fault('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
  const amz = Object.keys(req.headers)
    .filter((n) => n.startsWith('x-amz-'))
    .sort()
    .map((n) => `${n}:${header(req, n).trim()}\n`)
    .join('');
  const { rawPath, rawQuery } = splitUrl(req);
  const sub = rawQuery
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const i = pair.indexOf('=');
      return i < 0 ? [safeDecode(pair)] : [safeDecode(pair.slice(0, i)), safeDecode(pair.slice(i + 1))];
    })
    .filter(([k]) => V2_SUBRESOURCES.has(k))
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map((kv) => kv.join('='));
  const resource = rawPath + (sub.length ? `?${sub.join('&')}` : '');
  const toSign = [req.method, header(req, 'content-md5'), header(req, 'content-type'), date, amz + resource].join('\n');
  const expected = createHmac('sha1', secretKey).update(toSign).digest();
  const given = Buffer.from(signature, 'base64');
  if (given.length !== expected.length || !timingSafeEqual(expected, given)) {
    throw new S3Fault('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your secret key.');
  }
}

function splitUrl(req: IncomingMessage): { rawPath: string; rawQuery: string } {
  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  return { rawPath: q < 0 ? rawUrl : rawUrl.slice(0, q), rawQuery: q < 0 ? '' : rawUrl.slice(q + 1) };
}

/**
 * Checks an `Authorization: AWS4-HMAC-SHA256 ...` header against the configured keys:
 * the canonical request is rebuilt from the request line and the signed headers, exactly as the
 * client signed it. The payload hash is taken from x-amz-content-sha256 as sent; the PUT path then
 * checks the body against that hash, so a body cannot be swapped under a valid signature.
 */
export function verifySigV4(req: IncomingMessage, accessKey: string, secretKey: string): SigningContext {
  const auth = req.headers.authorization;
  if (!auth) throw new S3Fault('AccessDenied', 'Anonymous access is not allowed: sign requests with the configured access key.');
  const m = /^AWS4-HMAC-SHA256\s+Credential=([^,]+),\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})\s*$/.exec(auth);
  if (!m) throw new S3Fault('AccessDenied', 'Only AWS Signature Version 4 (AWS4-HMAC-SHA256) in the Authorization header is supported.');
  const [, credential, signedHeaders, signature] = m;
  const scope = credentialScope(credential, accessKey);
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  if (!amzDate.startsWith(scope[0])) throw new S3Fault('AccessDenied', 'x-amz-date is missing or does not match the credential scope date.');
  const payloadHash = String(req.headers['x-amz-content-sha256'] ?? 'UNSIGNED-PAYLOAD');
  const { rawPath, rawQuery } = splitUrl(req);
  const canonical = [req.method, rawPath, canonicalQuery(rawQuery), canonicalHeaders(req, signedHeaders), signedHeaders, payloadHash].join('\n');
  return checkSignature(secretKey, canonical, amzDate, scope, signature);
}

/** `ak/date/region/service/aws4_request` -> [date, region, service], with the access key checked */
function credentialScope(credential: string, accessKey: string): string[] {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request') throw new S3Fault('AccessDenied', 'Malformed credential scope.');
  if (parts[0] !== accessKey) throw new S3Fault('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
  return parts.slice(1, 4);
}

/** S3 allows presigned URLs for at most seven days */
const MAX_EXPIRES = 604_800;

/**
 * Checks a presigned URL (SigV4 in the query string, `X-Amz-Signature=`): the same canonical
 * request with the query minus the signature and an unsigned payload, and the URL not expired.
 */
export function verifyPresigned(req: IncomingMessage, query: URLSearchParams, accessKey: string, secretKey: string, now = Date.now()): SigningContext {
  if (query.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') throw new S3Fault('AuthorizationQueryParametersError', 'X-Amz-Algorithm must be AWS4-HMAC-SHA256.');
  const signature = query.get('X-Amz-Signature') ?? '';
  const signedHeaders = query.get('X-Amz-SignedHeaders') ?? '';
  const amzDate = query.get('X-Amz-Date') ?? '';
  const expires = Number(query.get('X-Amz-Expires'));
  const d = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!signature || !signedHeaders || !d || !Number.isInteger(expires) || expires < 1 || expires > MAX_EXPIRES) {
    throw new S3Fault('AuthorizationQueryParametersError', 'X-Amz-Signature (hex), X-Amz-SignedHeaders, X-Amz-Date (yyyymmddThhmmssZ) and X-Amz-Expires (1..604800) are required.');
  }
  const scope = credentialScope(query.get('X-Amz-Credential') ?? '', accessKey);
  if (!amzDate.startsWith(scope[0])) throw new S3Fault('AccessDenied', 'X-Amz-Date does not match the credential scope date.');
  const signedAt = Date.UTC(+d[1], +d[2] - 1, +d[3], +d[4], +d[5], +d[6]);
  if (now > signedAt + expires * 1000) throw new S3Fault('AccessDenied', 'Request has expired');
  const { rawPath, rawQuery } = splitUrl(req);
  const unsigned = rawQuery
    .split('&')
    .filter((pair) => pair.split('=')[0] !== 'X-Amz-Signature')
    .join('&');
  const canonical = [req.method, rawPath, canonicalQuery(unsigned), canonicalHeaders(req, signedHeaders), signedHeaders, 'UNSIGNED-PAYLOAD'].join('\n');
  return checkSignature(secretKey, canonical, amzDate, scope, signature);
}
