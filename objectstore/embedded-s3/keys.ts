import { S3Fault } from './xml.js';

/** S3's limit on a key: 1024 bytes of UTF-8 */
const MAX_KEY_BYTES = 1024;
/** one path segment of a key must fit a file name (MinIO's rule, which it shares with most filesystems) */
const MAX_SEGMENT_BYTES = 255;

export interface Target {
  bucket?: string;
  key?: string;
  query: URLSearchParams;
  /** the request path, percent-decoded but otherwise as sent (for error answers) */
  resource: string;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new S3Fault('InvalidArgument', `Bad percent-encoding in the request path: ${s}`);
  }
}

/**
 * Bucket and key from the request line as sent. WHATWG URL parsing is not used for the path: it
 * resolves `.` and `..` segments (also percent-encoded ones), so `/b/x/../../other` would route to
 * bucket `other`. The path is split at its first slash and each side percent-decoded once; the key
 * is then checked by validateKey, never rewritten.
 */
export function parseTarget(rawUrl: string): Target {
  const q = rawUrl.indexOf('?');
  const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1));
  const resource = decode(rawPath);
  if (!rawPath.startsWith('/')) throw new S3Fault('InvalidArgument', `The request path must start with "/", got ${rawPath}`);
  const path = rawPath.slice(1);
  if (!path) return { query, resource };
  const slash = path.indexOf('/');
  if (slash < 0 || slash === path.length - 1) return { bucket: decode(slash < 0 ? path : path.slice(0, -1)), query, resource };
  const bucket = decode(path.slice(0, slash));
  const key = decode(path.slice(slash + 1));
  validateKey(key, bucket);
  return { bucket, key, query, resource };
}

/**
 * Refuses what MinIO refuses (measured on MinIO 2026-02, scripts/real/minio.sh): a `.` or `..`
 * segment (XMinioInvalidResourceName), an empty inner segment, a NUL byte or a segment over 255
 * bytes (XMinioInvalidObjectName), a key over 1024 bytes (KeyTooLongError). All are 400.
 */
export function validateKey(key: string, bucket?: string): void {
  const resource = { bucket, key };
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new S3Fault('KeyTooLongError', 'Your key is too long', resource);
  const segments = key.split('/');
  if (segments.some((s) => s === '.' || s === '..')) {
    throw new S3Fault('XMinioInvalidResourceName', 'Resource name contains bad components such as ".." or ".".', resource);
  }
  if (key.includes('\0') || key.includes('//') || segments.some((s) => Buffer.byteLength(s) > MAX_SEGMENT_BYTES)) {
    throw new S3Fault('XMinioInvalidObjectName', 'Object name contains unsupported characters.', resource);
  }
}
