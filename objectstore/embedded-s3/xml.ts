/** S3 error codes this server answers with, and their HTTP status (as AWS documents them). */
const STATUS: Record<string, number> = {
  AccessDenied: 403,
  AuthorizationQueryParametersError: 400,
  BadDigest: 400,
  BucketAlreadyOwnedByYou: 409,
  BucketNotEmpty: 409,
  EntityTooSmall: 400,
  IncompleteBody: 400,
  InvalidAccessKeyId: 403,
  InvalidArgument: 400,
  InvalidBucketName: 400,
  InvalidPart: 400,
  InvalidPartOrder: 400,
  InvalidRange: 416,
  InvalidRequest: 400,
  KeyTooLongError: 400,
  MalformedXML: 400,
  MetadataTooLarge: 400,
  MethodNotAllowed: 405,
  MissingContentLength: 411,
  NoSuchBucket: 404,
  NoSuchKey: 404,
  NoSuchUpload: 404,
  NotImplemented: 501,
  PreconditionFailed: 412,
  SignatureDoesNotMatch: 403,
  XAmzContentSHA256Mismatch: 400,
  XMinioInvalidObjectName: 400,
  XMinioInvalidResourceName: 400,
  InternalError: 500,
};

/** An S3 error response: code, message and the resource it is about. */
export class S3Fault extends Error {
  readonly status: number;
  constructor(readonly code: string, message: string, readonly resource: { bucket?: string; key?: string } = {}) {
    super(message);
    this.name = 'S3Fault';
    this.status = STATUS[code] ?? 400;
  }
}

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

export const XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n';
export const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';

export function errorXml(fault: S3Fault, requestId: string, resource: string): string {
  const parts = [`<Code>${esc(fault.code)}</Code>`, `<Message>${esc(fault.message)}</Message>`];
  if (fault.resource.bucket) parts.push(`<BucketName>${esc(fault.resource.bucket)}</BucketName>`);
  if (fault.resource.key !== undefined) parts.push(`<Key>${esc(fault.resource.key)}</Key>`);
  parts.push(`<Resource>${esc(resource)}</Resource>`, `<RequestId>${requestId}</RequestId>`);
  return `${XML_HEAD}<Error>${parts.join('')}</Error>`;
}

/** `<Tag>value</Tag>` occurrences in a small, trusted-shape XML body (CompleteMultipartUpload). */
export function tagValues(xml: string, tag: string): string[] {
  const re = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g');
  return [...xml.matchAll(re)].map((m) => unesc(m[1].trim()));
}

function unesc(s: string): string {
  return s.replace(/&(quot|amp|lt|gt|apos|#34|#39);/g, (_m, e: string) => ({ quot: '"', amp: '&', lt: '<', gt: '>', apos: "'", '#34': '"', '#39': "'" })[e]!);
}
