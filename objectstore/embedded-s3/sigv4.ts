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

/** Rebuilds the string the client signed and compares signatures (constant time). */
function checkSignature(secretKey: string, canonical: string, amzDate: string, scope: string[], signature: string): void {
  const [date, region, service] = scope;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, `${date}/${region}/${service}/aws4_request`, createHash('sha256').update(canonical).digest('hex')].join('\n');
  const key = hmac(hmac(hmac(hmac('AWS4' + secretKey, date), region), service), 'aws4_request');
  const expected = hmac(key, toSign);
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
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
export function verifySigV4(req: IncomingMessage, accessKey: string, secretKey: string): void {
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
  checkSignature(secretKey, canonical, amzDate, scope, signature);
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
export function verifyPresigned(req: IncomingMessage, query: URLSearchParams, accessKey: string, secretKey: string, now = Date.now()): void {
  if (query.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') throw new S3Fault('AuthorizationQueryParametersError', 'X-Amz-Algorithm must be AWS4-HMAC-SHA256.');
  const signature = query.get('X-Amz-Signature') ?? '';
  const signedHeaders = query.get('X-Amz-SignedHeaders') ?? '';
  const amzDate = query.get('X-Amz-Date') ?? '';
  const expires = Number(query.get('X-Amz-Expires'));
  const d = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!/^[0-9a-f]{64}$/.test(signature) || !signedHeaders || !d || !Number.isInteger(expires) || expires < 1 || expires > MAX_EXPIRES) {
    throw new S3Fault('AuthorizationQueryParametersError', 'X-Amz-Signature, X-Amz-SignedHeaders, X-Amz-Date (yyyymmddThhmmssZ) and X-Amz-Expires (1..604800) are required.');
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
  checkSignature(secretKey, canonical, amzDate, scope, signature);
}
