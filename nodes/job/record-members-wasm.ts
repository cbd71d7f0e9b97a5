import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../model/errors.js';

/**
 * The WebAssembly half of the scanner (wasm/record-members.ts, AssemblyScript with SIMD): it scans
 * the plain members of records 16 bytes at a time. One instance per scanner; its memory holds the
 * key cache and a copy of the chunk being scanned.
 */

interface Exports {
  memory: WebAssembly.Memory;
  inputPtr(): number;
  fieldPtr(): number;
  setField(len: number): void;
  members(i: number, n: number, st: number, member: number, field: number, value: number, sum: number): number;
  outState: WebAssembly.Global;
  outMember: WebAssembly.Global;
  outField: WebAssembly.Global;
  outValue: WebAssembly.Global;
  outSum: WebAssembly.Global;
  outRecords: WebAssembly.Global;
  outCounted: WebAssembly.Global;
  outSkipped: WebAssembly.Global;
}

/** 16-byte reads may look this far past the end of the chunk (the bytes there are never trusted) */
const PADDING = 64;
const PAGE = 65536;

let compiled: WebAssembly.Module | undefined;

/** `npm run build` compiles it into dist/; running from the TypeScript sources reads it there too */
function wasmPath(): string {
  const fromSource = import.meta.url.endsWith('.ts');
  return fileURLToPath(new URL(fromSource ? '../../dist/nodes/job/wasm/record-members.wasm' : './wasm/record-members.wasm', import.meta.url));
}

function module(): WebAssembly.Module {
  if (!compiled) {
    const path = wasmPath();
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = new Uint8Array(readFileSync(path));
    } catch {
      throw new UserError(`the analytic job's WebAssembly module is missing (${path}): run \`npm run build\``);
    }
    compiled = new WebAssembly.Module(bytes);
  }
  return compiled;
}

export class RecordMembersWasm {
  private readonly ex: Exports;
  private readonly input: number;
  private mem: Uint8Array;
  // results of the last `members` call
  state = 0;
  member = 0;
  field = 0;
  value = 0;
  sum = 0;
  records = 0;
  counted = 0;
  skipped = 0;

  constructor(field: Buffer) {
    this.ex = new WebAssembly.Instance(module(), {}).exports as unknown as Exports;
    this.input = this.ex.inputPtr();
    this.mem = new Uint8Array(this.ex.memory.buffer);
    this.mem.set(field, this.ex.fieldPtr());
    this.ex.setField(field.length);
  }

  /** Copies the chunk into WebAssembly memory (growing it when the chunk is larger than any before). */
  load(buf: Uint8Array): void {
    const need = this.input + buf.length + PADDING;
    if (need > this.mem.length) {
      this.ex.memory.grow(Math.ceil((need - this.mem.length) / PAGE));
      this.mem = new Uint8Array(this.ex.memory.buffer);
    }
    this.mem.set(buf, this.input);
  }

  /** Scans members of the loaded chunk from offset i; returns the offset reached (results in the fields). */
  members(i: number, n: number, st: number, member: number, field: number, value: number, sum: number): number {
    const ex = this.ex;
    const at = ex.members(i, n, st, member, field, value, sum);
    this.state = ex.outState.value as number;
    this.member = ex.outMember.value as number;
    this.field = ex.outField.value as number;
    this.value = ex.outValue.value as number;
    this.sum = ex.outSum.value as number;
    this.records = ex.outRecords.value as number;
    this.counted = ex.outCounted.value as number;
    this.skipped = ex.outSkipped.value as number;
    return at;
  }
}
