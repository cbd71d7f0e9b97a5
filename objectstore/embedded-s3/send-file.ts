import type { FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

const SIZE = 1 << 20;
/** one buffer being read while up to two are with the socket */
const BUFFERS = 3;

/**
 * Writes bytes [start, end] of an open file to `out` and ends it. A few 1 MiB buffers are reused:
 * one is read into (on libuv's thread pool) while the socket sends the others, and a buffer is
 * read into again only once the socket has taken it (write callback). A read stream allocates a
 * fresh megabyte per read instead, and the page faults and garbage collections that cost were
 * about a third of the server's CPU on a large GET. Having few buffers is also the back-pressure.
 */
export async function sendFile(fh: FileHandle, start: number, end: number, out: Writable): Promise<void> {
  const free: Buffer[] = [];
  let allocated = 0;
  let wake: (() => void) | undefined;
  const release = (buf: Buffer) => {
    free.push(buf);
    wake?.();
  };
  const gone = () => wake?.();
  out.on('close', gone);
  try {
    for (let pos = start; pos <= end; ) {
      if (free.length === 0 && allocated < BUFFERS) {
        free.push(Buffer.allocUnsafe(SIZE));
        allocated++;
      }
      while (free.length === 0 && !out.destroyed) await new Promise<void>((r) => (wake = r));
      wake = undefined;
      if (out.destroyed) throw new Error('the client closed the connection');
      const buf = free.pop()!;
      const { bytesRead } = await fh.read(buf, 0, Math.min(SIZE, end - pos + 1), pos);
      if (bytesRead === 0) throw new Error(`the object's file ended at byte ${pos}, before byte ${end}`);
      pos += bytesRead;
      out.write(buf.subarray(0, bytesRead), () => release(buf));
    }
    out.end();
    await finished(out);
  } finally {
    out.off('close', gone);
    await fh.close();
  }
}
