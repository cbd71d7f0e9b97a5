// AssemblyScript, compiled to WebAssembly (with SIMD) by `npm run build:wasm`.
//
// The hot loop of the analytic job: the `"key": value` members of the records of the data set,
// 16 bytes at a time. It is the WebAssembly twin of nothing: the JavaScript scanner
// (../cholesterol-scanner.ts) keeps the general JSON state machine (nesting, literals, escapes,
// chunk boundaries, every error message) and calls `members` whenever it stands before a member
// of a record. `members` goes as far as it can while members are plain (a string or number
// value, wholly inside the chunk) and returns where it stopped; it never reports an error: at
// anything unusual it stops at the start of that member and the JavaScript machine takes it.

// states shared with the JavaScript scanner (same numbers)
const ST_OBJ_FIRST: i32 = 3;
const ST_KEY: i32 = 4;
const ST_AFTER: i32 = 6;

const F_MISSING: i32 = 0;
const F_NUMBER: i32 = 1;
const F_INVALID: i32 = 2;

/** member positions remembered per record, and the longest key (with its '"' and ':') cached */
const KEY_SLOTS: i32 = 64;
const KEY_BYTES: i32 = 32;

// memory: [heap base] key cache | field name | input chunk (+ padding for 16-byte reads past its end)
const KEYS: usize = (__heap_base + 15) & ~15; // KEY_SLOTS x 32 bytes of key
const MASKS: usize = KEYS + KEY_SLOTS * KEY_BYTES; // KEY_SLOTS x 32 bytes of 0xff/0x00
const LENS: usize = MASKS + KEY_SLOTS * KEY_BYTES; // KEY_SLOTS x i32 (0: empty slot)
const TARGETS: usize = LENS + KEY_SLOTS * 4; // KEY_SLOTS x i32
const FIELD: usize = TARGETS + KEY_SLOTS * 4; // the field name, up to 32 bytes
const INPUT: usize = (FIELD + 32 + 63) & ~63;

let fieldLen: i32 = 0;

// results of `members`, read by JavaScript after each call
export let outState: i32 = ST_KEY;
export let outMember: i32 = 0;
export let outField: i32 = F_MISSING;
export let outValue: f64 = 0;
export let outSum: f64 = 0;
export let outRecords: i32 = 0;
export let outCounted: i32 = 0;
export let outSkipped: i32 = 0;

/** where JavaScript copies the chunk to (and the field name to `fieldPtr()`) */
export function inputPtr(): usize {
  return INPUT;
}

export function fieldPtr(): usize {
  return FIELD;
}

/** the field name (written at fieldPtr) is `len` bytes; clears the key cache */
export function setField(len: i32): void {
  fieldLen = len;
  memory.fill(KEYS, 0, FIELD - KEYS);
}

// @ts-ignore: decorator
@inline
function isWs(c: i32): bool {
  return c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09;
}

// @ts-ignore: decorator
@inline
function isDigit(c: i32): bool {
  return <u32>(c - 0x30) < 10;
}

/** index of the first byte from p that is '"', '\\' or a control character (may pass `end`) */
// @ts-ignore: decorator
@inline
function stringStop(p: usize, end: usize): usize {
  const quote = i8x16.splat(0x22);
  const slash = i8x16.splat(0x5c);
  const space = i8x16.splat(0x20);
  while (p < end) {
    const v = v128.load(p);
    const hit = v128.or(v128.or(i8x16.eq(v, quote), i8x16.eq(v, slash)), i8x16.lt_u(v, space));
    const m = i8x16.bitmask(hit);
    if (m != 0) return p + <usize>ctz(m);
    p += 16;
  }
  return p;
}

/** index of the first non-digit byte from p (may pass `end`) */
// @ts-ignore: decorator
@inline
function digitsEnd(p: usize, end: usize): usize {
  const zero = i8x16.splat(0x30);
  const ten = i8x16.splat(10);
  while (p < end) {
    const m = ~i8x16.bitmask(i8x16.lt_u(i8x16.sub(v128.load(p), zero), ten)) & 0xffff;
    if (m != 0) return p + <usize>ctz(m);
    p += 16;
  }
  return p;
}

const POW10: StaticArray<f64> = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/**
 * The number in [s, e), validated, without exponent. Up to 15 significant digits and 22 decimals,
 * integer / 10^k divides exact operands, so it is correctly rounded: the double JSON.parse gives.
 * Returns NaN when that does not hold (JavaScript then parses the member itself).
 */
function parseNumber(s: usize, e: usize): f64 {
  let p = s;
  const neg = load<u8>(p) == 0x2d;
  if (neg) p++;
  let mant: f64 = 0;
  let digits = 0;
  let frac = -1;
  for (; p < e; p++) {
    const c = <i32>load<u8>(p);
    if (c == 0x2e) frac = 0;
    else {
      mant = mant * 10 + <f64>(c - 0x30);
      if (mant != 0) digits++;
      if (frac >= 0) frac++;
    }
  }
  if (digits > 15 || frac > 22) return NaN;
  const v = frac > 0 ? mant / unchecked(POW10[frac]) : mant;
  return neg ? -v : v;
}

/**
 * Scans members from chunk offset `i` (chunk length `n`, copied at inputPtr) in state `st`
 * (ST_KEY or ST_OBJ_FIRST) as member number `member` of the current record, whose field state
 * is `field`/`value`; `sum` is the running sum, continued in order. Returns the offset reached;
 * the out* globals say the state there and what to add to the record counters.
 */
export function members(i: i32, n: i32, st: i32, member: i32, field: i32, value: f64, sum: f64): i32 {
  const base = INPUT;
  const end = base + <usize>n;
  let p = base + <usize>i;
  let start = p;
  let records = 0;
  let counted = 0;
  let skipped = 0;
  if (st == ST_OBJ_FIRST) member = 0;
  let startMember = member;
  let c: i32 = 0;
  const f0 = fieldLen > 0 ? <i32>load<u8>(FIELD) : -1;
  while (true) {
    // the key; the usual layout, `,\r\n"key":`, has its quote right here
    c = p < end ? <i32>load<u8>(p) : 0;
    if (c != 0x22) {
      while (p < end && isWs((c = load<u8>(p)))) p++;
      if (p >= end || c != 0x22) break;
    }
    const ks = ++p;
    const m = member++;
    let target = false;
    let known = false;
    if (m < KEY_SLOTS) {
      // records repeat their keys in the same order: bytes equal to the key cached for this
      // position (validated, with its closing quote and ':') need no scanning
      const len = load<i32>(LENS + (<usize>m << 2));
      if (len > 0 && ks + <usize>len <= end) {
        const slot = <usize>m * KEY_BYTES;
        let same = i8x16.all_true(i8x16.eq(v128.and(v128.load(ks), v128.load(MASKS + slot)), v128.load(KEYS + slot)));
        if (same && len > 16) same = i8x16.all_true(i8x16.eq(v128.and(v128.load(ks + 16), v128.load(MASKS + slot + 16)), v128.load(KEYS + slot + 16)));
        if (same) {
          known = true;
          target = load<i32>(TARGETS + (<usize>m << 2)) != 0;
          p = ks + <usize>len;
        }
      }
    }
    if (!known) {
      p = stringStop(p, end);
      if (p >= end || load<u8>(p) != 0x22) break; // escapes, control characters, chunk end
      const ke = p++;
      c = p < end ? <i32>load<u8>(p) : 0;
      const direct = c == 0x3a;
      if (!direct) {
        while (p < end && isWs((c = load<u8>(p)))) p++;
        if (p >= end || c != 0x3a) break;
      }
      p++;
      if (<i32>(ke - ks) == fieldLen && <i32>load<u8>(ks) == f0) target = memory.compare(ks, FIELD, fieldLen) == 0;
      const len = <i32>(ke + 2 - ks); // key, '"', ':'
      if (direct && m < KEY_SLOTS && len <= KEY_BYTES) {
        const slot = <usize>m * KEY_BYTES;
        memory.fill(KEYS + slot, 0, KEY_BYTES);
        memory.fill(MASKS + slot, 0, KEY_BYTES);
        memory.copy(KEYS + slot, ks, len);
        memory.fill(MASKS + slot, 0xff, len);
        store<i32>(LENS + (<usize>m << 2), len);
        store<i32>(TARGETS + (<usize>m << 2), target ? 1 : 0);
      }
    }
    if (p >= end) break;
    c = load<u8>(p);
    if (isWs(c)) {
      while (p < end && isWs((c = load<u8>(p)))) p++;
      if (p >= end) break;
    }
    // the value: a plain string or a number
    if (c == 0x22) {
      p = stringStop(p + 1, end);
      if (p >= end || load<u8>(p) != 0x22) break;
      p++;
      if (target) field = F_INVALID;
    } else {
      const s = p;
      if (c == 0x2d) {
        p++;
        if (p >= end) break;
        c = load<u8>(p);
      }
      if (c == 0x30) p++;
      else if (c >= 0x31 && c <= 0x39) p = digitsEnd(p + 1, end);
      else break;
      if (p >= end) break;
      c = load<u8>(p);
      if (c == 0x2e) {
        p++;
        if (p >= end || !isDigit(load<u8>(p))) break;
        p = digitsEnd(p + 1, end);
        if (p >= end) break;
        c = load<u8>(p);
      }
      if (c == 0x65 || c == 0x45) break; // an exponent: rare, left to JavaScript
      if (target) {
        const v = parseNumber(s, p);
        if (isNaN(v)) break;
        field = F_NUMBER;
        value = v;
      }
    }
    // the member is complete: from here on the JavaScript machine can always resume in ST_AFTER
    if (p + 4 <= end && load<u32>(p) == 0x220a0d2c) {
      // `,\r\n"`: the layout of the original, one member per line
      start = p + 1;
      startMember = member;
      p += 3;
      st = ST_KEY;
      continue;
    }
    c = p < end ? <i32>load<u8>(p) : 0;
    if (c != 0x2c && isWs(c)) {
      while (p < end && isWs((c = load<u8>(p)))) p++;
    }
    if (p < end && c == 0x2c) {
      start = ++p;
      startMember = member;
      st = ST_KEY;
      continue;
    }
    if (c == 0x7d && p < end) {
      // `}` `,` `{`: this record ends and the next begins, all in this chunk
      let q = p + 1;
      while (q < end && isWs(load<u8>(q))) q++;
      if (q < end && load<u8>(q) == 0x2c) {
        q++;
        while (q < end && isWs(load<u8>(q))) q++;
        if (q < end && load<u8>(q) == 0x7b) {
          if (field == F_NUMBER) {
            sum += value;
            counted++;
          } else skipped++;
          records++;
          field = F_MISSING;
          start = p = q + 1;
          st = ST_OBJ_FIRST;
          member = 0;
          startMember = 0;
          continue;
        }
      }
    }
    return finish(<i32>(p - base), ST_AFTER, member, field, value, sum, records, counted, skipped);
  }
  // stopped inside a member: JavaScript takes it, whole, from its start
  return finish(<i32>(start - base), st, startMember, field, value, sum, records, counted, skipped);
}

// @ts-ignore: decorator
@inline
function finish(at: i32, st: i32, member: i32, field: i32, value: f64, sum: f64, records: i32, counted: i32, skipped: i32): i32 {
  outState = st;
  outMember = member;
  outField = field;
  outValue = value;
  outSum = sum;
  outRecords = records;
  outCounted = counted;
  outSkipped = skipped;
  return at;
}
