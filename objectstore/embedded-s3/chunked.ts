import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { sha256Hex, signatureMatches, type SigningContext } from './sigv4.js';
import { S3Fault } from './xml.js';

/** The x-amz-content-sha256 values of an aws-chunked body, and what each carries. */
export const STREAMING_MODES: Record<string, { signed: boolean; trailer: boolean }> = {
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD': { signed: true, trailer: false },
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER': { signed: true, trailer: true },
  'STREAMING-UNSIGNED-PAYLOAD-TRAILER': { signed: false, trailer: true },
};

const EMPTY_SHA256 = sha256Hex('');
/** a chunk header line is `hex-size[;chunk-signature=64 hex]`; anything longer is not one */
const MAX_LINE = 4096;
/** trailing headers (checksums, the trailer signature) are a few short lines */
const MAX_TRAILER = 16 * 1024;

function malformed(what: string): S3Fault {
  return new S3Fault('IncompleteBody', `The aws-chunked request body is malformed: ${what}.`);
}

/**
 * Decodes an aws-chunked body (`<hex size>;chunk-signature=<sig>\r\n<bytes>\r\n`..., ending with a
 * zero-size chunk and, in the TRAILER modes, trailing header lines) into its payload. With a
 * signing context every chunk signature is checked as the chain AWS defines for SigV4 streaming
 * uploads: each chunk signs the previous signature and the SHA-256 of its bytes, seeded by the
 * request's own signature, so no chunk can be dropped, reordered or altered. The trailer's
 * signature (x-amz-trailer-signature) is checked the same way. A bad signature fails the stream
 * with SignatureDoesNotMatch before the bytes after it are passed on.
 */
export function awsChunkedDecoder(mode: { signed: boolean; trailer: boolean }, signing: SigningContext | undefined): Transform {
  let buf: Buffer = Buffer.alloc(0);
  let state: 'header' | 'data' | 'data-end' | 'trailer' | 'final-crlf' | 'done' = 'header';
  let remaining = 0;
  let chunkSig = '';
  let prev = signing?.signature ?? '';
  let hash = createHash('sha256');
  let trailerText = '';

  const verifyChunk = (sig: string, dataHash: string) => {
    if (!mode.signed || !signing) return;
    const toSign = ['AWS4-HMAC-SHA256-PAYLOAD', signing.amzDate, signing.scope, prev, EMPTY_SHA256, dataHash].join('\n');
    if (!/^[0-9a-f]{64}$/.test(sig) || !signatureMatches(signing.signingKey, toSign, sig)) {
      throw new S3Fault('SignatureDoesNotMatch', 'The chunk signature of an aws-chunked body does not match: the body was altered or signed with another key.');
    }
    prev = sig;
  };

  const verifyTrailer = (text: string) => {
    const lines = text.split('\r\n').filter(Boolean);
    const sigLine = lines.find((l) => l.toLowerCase().startsWith('x-amz-trailer-signature:'));
    if (!mode.signed || !signing) return;
    if (!sigLine) throw new S3Fault('SignatureDoesNotMatch', 'The aws-chunked body has no x-amz-trailer-signature.');
    const headers = lines.filter((l) => l !== sigLine).map((l) => `${l.slice(0, l.indexOf(':')).trim().toLowerCase()}:${l.slice(l.indexOf(':') + 1).trim()}\n`).join('');
    const toSign = ['AWS4-HMAC-SHA256-TRAILER', signing.amzDate, signing.scope, prev, sha256Hex(headers)].join('\n');
    if (!signatureMatches(signing.signingKey, toSign, sigLine.slice(sigLine.indexOf(':') + 1).trim())) {
      throw new S3Fault('SignatureDoesNotMatch', 'The trailer signature of an aws-chunked body does not match.');
    }
  };

  /** one step of the state machine over `buf`; false when it needs more bytes */
  const step = (push: (b: Buffer) => void): boolean => {
    switch (state) {
      case 'header': {
        const eol = buf.indexOf('\r\n');
        if (eol < 0) {
          if (buf.length > MAX_LINE) throw malformed('a chunk header line is too long');
          return false;
        }
        const line = buf.subarray(0, eol).toString('latin1');
        buf = buf.subarray(eol + 2);
        const m = /^([0-9a-fA-F]{1,16})(?:;chunk-signature=([0-9a-f]*))?$/.exec(line);
        if (!m) throw malformed(`bad chunk header "${line.slice(0, 100)}"`);
        if (mode.signed && signing && m[2] === undefined) throw malformed('a chunk has no chunk-signature');
        remaining = parseInt(m[1], 16);
        chunkSig = m[2] ?? '';
        hash = createHash('sha256');
        if (remaining === 0) {
          verifyChunk(chunkSig, EMPTY_SHA256);
          state = mode.trailer ? 'trailer' : 'final-crlf';
        } else state = 'data';
        return true;
      }
      case 'data': {
        if (buf.length === 0) return false;
        const part = buf.subarray(0, Math.min(remaining, buf.length));
        buf = buf.subarray(part.length);
        remaining -= part.length;
        hash.update(part);
        // bytes go on only after their chunk's signature is checked
        pending.push(part);
        if (remaining === 0) state = 'data-end';
        return true;
      }
      case 'data-end': {
        if (buf.length < 2) return false;
        if (buf[0] !== 0x0d || buf[1] !== 0x0a) throw malformed('a chunk is longer than its size');
        buf = buf.subarray(2);
        verifyChunk(chunkSig, hash.digest('hex'));
        for (const p of pending) push(p);
        pending = [];
        state = 'header';
        return true;
      }
      case 'trailer': {
        // trailing header lines, ended by an empty line (or by the end of the body)
        const end = buf.indexOf('\r\n\r\n');
        const empty = trailerText === '' && buf.subarray(0, 2).toString('latin1') === '\r\n';
        if (empty) {
          buf = buf.subarray(2);
          state = 'done';
          return true;
        }
        if (end < 0) {
          if (buf.length > MAX_TRAILER) throw malformed('the trailer is too long');
          return false;
        }
        trailerText = buf.subarray(0, end + 2).toString('latin1');
        buf = buf.subarray(end + 4);
        verifyTrailer(trailerText);
        state = 'done';
        return true;
      }
      case 'final-crlf': {
        if (buf.length < 2) return false;
        if (buf[0] !== 0x0d || buf[1] !== 0x0a) throw malformed('bytes after the last chunk');
        buf = buf.subarray(2);
        state = 'done';
        return true;
      }
      case 'done':
        if (buf.length > 0) throw malformed('bytes after the last chunk');
        return false;
    }
  };
  let pending: Buffer[] = [];

  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      try {
        while (step((b) => this.push(b)));
        cb();
      } catch (err) {
        cb(err as Error);
      }
    },
    flush(cb: TransformCallback) {
      if (state === 'trailer' && buf.length > 0 && trailerText === '') {
        // a trailer that ends at the end of the body without the closing empty line
        try {
          verifyTrailer(buf.toString('latin1'));
          state = 'done';
        } catch (err) {
          return cb(err as Error);
        }
      }
      if (state === 'trailer' && buf.length === 0 && !(mode.signed && signing)) state = 'done';
      cb(state === 'done' ? null : malformed('the body ended before its last chunk'));
    },
  });
}
