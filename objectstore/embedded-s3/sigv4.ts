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
  const scopeParts = credential.split('/');
  if (scopeParts.length !== 5) throw new S3Fault('AccessDenied', 'Malformed credential scope in the Authorization header.');
  const [ak, date, region, service] = scopeParts;
  if (ak !== accessKey) throw new S3Fault('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  if (!amzDate.startsWith(date)) throw new S3Fault('AccessDenied', 'x-amz-date is missing or does not match the credential scope date.');
  const payloadHash = String(req.headers['x-amz-content-sha256'] ?? 'UNSIGNED-PAYLOAD');

  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const rawQuery = q < 0 ? '' : rawUrl.slice(q + 1);
  const names = signedHeaders.split(';');
  const headers = names
    .map((name) => {
      const v = req.headers[name];
      const value = Array.isArray(v) ? v.join(',') : (v ?? '');
      return `${name}:${String(value).trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  const canonical = [req.method, rawPath, canonicalQuery(rawQuery), headers, signedHeaders, payloadHash].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  const key = hmac(hmac(hmac(hmac('AWS4' + secretKey, date), region), service), 'aws4_request');
  const expected = hmac(key, toSign);
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
    throw new S3Fault('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your secret key.');
  }
}
