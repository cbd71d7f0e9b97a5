import { DatasetError } from './errors.js';
import { RecordMembersWasm } from './record-members-wasm.js';

/*
 * A streaming JSON validator that averages one field of the records of a top-level array.
 *
 * It checks the whole JSON grammar (brackets, strings and their escapes, numbers, literals, commas
 * and colons) byte by byte on the Buffer chunks it is given, keeping only a few integers of state
 * plus a stack of one byte per nesting level, so memory does not grow with the file. Nothing is
 * materialised except the value of the field ("cholesterol" of each record) — no key strings, no
 * objects — which is what makes it several times faster than JSON.parse.
 *
 * The members of records (`"key": number-or-string`, nearly every byte of a data set) are scanned
 * by WebAssembly with SIMD (wasm/record-members.ts); this state machine does everything else and
 * takes over, byte by byte, wherever that fast path stops (see `ST_KEY` below).
 *
 * Every state is resumable: a chunk may end anywhere, inside a string, an escape, a number or a
 * literal, and the next chunk continues from there.
 *
 * Not checked: that string bytes are valid UTF-8 (JSON.parse on a decoded string does not check
 * it either: bad bytes become U+FFFD).
 */

// parser states
const ST_START = 0; // before the top-level '['
const ST_VALUE = 1; // a value is required (after ':' or after ',' in an array)
const ST_ARR_FIRST = 2; // after '[': a value or ']'
const ST_OBJ_FIRST = 3; // after '{': a key or '}'
const ST_KEY = 4; // after ',' in an object: a key
const ST_COLON = 5; // after a key: ':'
const ST_AFTER = 6; // after a value: ',' or the closing bracket
const ST_DONE = 7; // after the top-level array: only whitespace
const ST_STRING = 8; // inside a string (resumed across chunks)
const ST_NUMBER = 9; // inside a number (resumed across chunks)
const ST_LITERAL = 10; // inside true/false/null (resumed across chunks)

// number grammar states (RFC 8259: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?)
const NS_MINUS = 0; // after '-': a digit is required
const NS_ZERO = 1; // after a leading 0 (terminal)
const NS_INT = 2; // in integer digits (terminal)
const NS_DOT = 3; // after '.': a digit is required
const NS_FRAC = 4; // in fraction digits (terminal)
const NS_E = 5; // after 'e': sign or digit
const NS_ESIGN = 6; // after the exponent sign: a digit is required
const NS_EXP = 7; // in exponent digits (terminal)

// what the string being scanned is
const STR_VALUE = 0;
const STR_KEY = 1; // a key of a nested object: not compared
const STR_RECORD_KEY = 2; // a key of a record: compared with the field name

const OBJ = 1;
const ARR = 2;
const MAX_DEPTH = 4096;
/** longest raw (escaped) key that can still decode to the field name: 6 bytes per \uXXXX */
const MAX_RAW_KEY = 6 * 32;
/** the most bytes scanned (and copied into WebAssembly memory) at once */
const MAX_SLICE = 8 * 1024 * 1024;
/** a numeric field value longer than this is refused rather than buffered without bound */
const MAX_NUMBER_TEXT = 4096;

const BOM = [0xef, 0xbb, 0xbf];
const LITERALS = [Buffer.from('true'), Buffer.from('false'), Buffer.from('null')];
const POW10 = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

// field value state of the current record
const F_MISSING = 0;
const F_NUMBER = 1;
const F_INVALID = 2;

export interface ScanResult {
  /** elements of the top-level array */
  records: number;
  /** records whose field is missing or not a number (or that are not objects) */
  skipped: number;
  /** records averaged */
  counted: number;
  /** naive in-order sum of the field (see `sum` below) */
  sum: number;
  /** sum / counted, or null when no record had a numeric field */
  avg: number | null;
  /** bytes consumed */
  bytes: number;
}

export class CholesterolScanner {
  private readonly field: Buffer;
  private readonly fieldName: string;
  private readonly wasm: RecordMembersWasm;
  private st = ST_START;
  private depth = 0;
  private readonly stack = new Uint8Array(MAX_DEPTH + 1);
  /** bytes consumed by earlier chunks: turns a chunk index into a file offset */
  private base = 0;

  // string state
  private strKind = STR_VALUE;
  /** 0 = plain, 1 = after a backslash, 2..5 = that many hex digits of \uXXXX still to come (+1) */
  private esc = 0;
  private sawEscape = false;
  /** raw bytes of a record key that spans chunks (latin1, bounded by MAX_RAW_KEY) */
  private keyText = '';
  private keyTooLong = false;
  /** the string being scanned is the value of the field: the record gets F_INVALID */
  private afterStringState = ST_AFTER;

  // number / literal state
  private ns = NS_MINUS;
  private numTarget = false;
  private numText = '';
  private lit = 0;
  private litPos = 0;

  /** the key just read is the field: the next value is its value */
  private pendingTarget = false;

  // record accumulation
  private field_ = F_MISSING;
  private fieldValue = 0;
  records = 0;
  skipped = 0;
  counted = 0;
  /**
   * Plain left-to-right double summation. The reference average of the original data set
   * (172.78331692928236) is exactly what naive summation in file order gives; compensated
   * (Neumaier) summation would give a different last digit, so it would "disagree" with the
   * reference while not being more useful for one-decimal lab values.
   */
  sum = 0;

  constructor(field = 'cholesterol') {
    this.field = Buffer.from(field, 'utf8');
    this.fieldName = field;
    if (this.field.length === 0 || this.field.length > 32) throw new Error('field name must be 1..32 bytes');
    this.wasm = new RecordMembersWasm(this.field);
  }

  get bytes(): number {
    return this.base;
  }

  /** Feed the next chunk. Throws DatasetError at the first byte that breaks the grammar. */
  write(buf: Buffer): void {
    // every state resumes across chunks: a huge chunk is scanned in slices, so the WebAssembly
    // memory it is copied into stays bounded
    if (buf.length <= MAX_SLICE) return this.writeSlice(buf);
    for (let off = 0; off < buf.length; off += MAX_SLICE) this.writeSlice(buf.subarray(off, off + MAX_SLICE));
  }

  private writeSlice(buf: Buffer): void {
    const n = buf.length;
    let i = 0;
    let st = this.st;
    let depth = this.depth;
    const stack = this.stack;
    /** the chunk has been copied into WebAssembly memory */
    let loaded = false;
    // no try/finally: after a DatasetError the scanner is not used again
    {
      while (i < n) {
        const c = buf[i];
        switch (st) {
          case ST_AFTER: {
            if (c === 0x2c) {
              st = stack[depth] === OBJ ? ST_KEY : ST_VALUE;
              i++;
            } else if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
              i++;
            } else if (c === 0x7d && stack[depth] === OBJ) {
              if (depth === 2) this.endRecord();
              depth--;
              st = depth === 0 ? ST_DONE : ST_AFTER;
              i++;
            } else if (c === 0x5d && stack[depth] === ARR) {
              depth--;
              st = depth === 0 ? ST_DONE : ST_AFTER;
              i++;
            } else {
              throw this.unexpected(buf, i, stack[depth] === OBJ ? "',' or '}' after a value in an object" : "',' or ']' after a value in an array");
            }
            break;
          }
          case ST_KEY:
          case ST_OBJ_FIRST: {
            if (depth === 2) {
              // the hot path: members of a record, scanned by WebAssembly 16 bytes at a time
              const w = this.wasm;
              if (!loaded) {
                w.load(buf);
                loaded = true;
              }
              const j = w.members(i, n, st, this.member, this.field_, this.fieldValue, this.sum);
              this.records += w.records;
              this.counted += w.counted;
              this.skipped += w.skipped;
              this.sum = w.sum;
              this.field_ = w.field;
              this.fieldValue = w.value;
              if (j !== i) {
                i = j;
                st = w.state;
                this.member = w.member;
                break;
              }
              // it stopped before this member (chunk end, escape, nesting, exponent or an error
              // to report): the state machine below takes the member, byte by byte
              this.member = w.member + 1;
            }
            if (c === 0x22) {
              i++;
              this.esc = 0;
              this.sawEscape = false;
              if (depth === 2) {
                // a key of a record: find its end in this chunk and compare it with the field name
                const s = i;
                const e = this.scanString(buf, i, n);
                if (e < 0) {
                  this.strKind = STR_RECORD_KEY;
                  this.keyTooLong = n - s > MAX_RAW_KEY;
                  this.keyText = this.keyTooLong ? '' : buf.toString('latin1', s, n);
                  st = ST_STRING;
                  i = n;
                } else {
                  this.pendingTarget = this.keyIsField(buf, s, e - 1);
                  st = ST_COLON;
                  i = e;
                }
              } else {
                const e = this.scanString(buf, i, n);
                if (e < 0) {
                  this.strKind = STR_KEY;
                  st = ST_STRING;
                  i = n;
                } else {
                  st = ST_COLON;
                  i = e;
                }
              }
            } else if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
              i++;
            } else if (c === 0x7d && st === ST_OBJ_FIRST) {
              if (depth === 2) this.endRecord();
              depth--;
              st = depth === 0 ? ST_DONE : ST_AFTER;
              i++;
            } else {
              throw this.unexpected(buf, i, st === ST_OBJ_FIRST ? "a key string or '}'" : 'a key string after \',\' in an object');
            }
            break;
          }
          case ST_COLON: {
            if (c === 0x3a) {
              st = ST_VALUE;
              i++;
            } else if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
              i++;
            } else {
              throw this.unexpected(buf, i, "':' after a key");
            }
            break;
          }
          case ST_VALUE:
          case ST_ARR_FIRST: {
            if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
              i++;
              break;
            }
            if (c === 0x5d && st === ST_ARR_FIRST) {
              depth--;
              st = depth === 0 ? ST_DONE : ST_AFTER;
              i++;
              break;
            }
            // a value starts here
            const target = this.pendingTarget;
            this.pendingTarget = false;
            const isRecord = depth === 1;
            if (c === 0x7b) {
              if (depth >= MAX_DEPTH) throw this.error(i, `nesting deeper than ${MAX_DEPTH} levels`);
              if (isRecord) {
                this.records++;
                this.field_ = F_MISSING;
              } else if (target) this.field_ = F_INVALID;
              stack[++depth] = OBJ;
              st = ST_OBJ_FIRST;
              i++;
              break;
            }
            if (isRecord) {
              // an element of the data set array that is not an object has no field: skipped
              this.records++;
              this.skipped++;
            }
            if (c === 0x22) {
              if (target) this.field_ = F_INVALID;
              i++;
              this.esc = 0;
              const e = this.scanString(buf, i, n);
              if (e < 0) {
                this.strKind = STR_VALUE;
                st = ST_STRING;
                i = n;
              } else {
                st = ST_AFTER;
                i = e;
              }
            } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
              const s = i;
              this.ns = c === 0x2d ? NS_MINUS : c === 0x30 ? NS_ZERO : NS_INT;
              const e = this.scanNumber(buf, i + 1, n);
              if (e < 0) {
                this.numTarget = target;
                if (target) this.numText = buf.toString('latin1', s, n);
                st = ST_NUMBER;
                i = n;
              } else {
                if (target) {
                  this.field_ = F_NUMBER;
                  this.fieldValue = parseNumber(buf, s, e);
                }
                st = ST_AFTER;
                i = e;
              }
            } else if (c === 0x5b) {
              if (depth >= MAX_DEPTH) throw this.error(i, `nesting deeper than ${MAX_DEPTH} levels`);
              if (target) this.field_ = F_INVALID;
              stack[++depth] = ARR;
              st = ST_ARR_FIRST;
              i++;
            } else if (c === 0x74 || c === 0x66 || c === 0x6e) {
              if (target) this.field_ = F_INVALID;
              this.lit = c === 0x74 ? 0 : c === 0x66 ? 1 : 2;
              this.litPos = 1;
              const e = this.scanLiteral(buf, i + 1, n);
              if (e < 0) {
                st = ST_LITERAL;
                i = n;
              } else {
                st = ST_AFTER;
                i = e;
              }
            } else {
              throw this.unexpected(buf, i, st === ST_ARR_FIRST ? "a value or ']'" : 'a value');
            }
            break;
          }
          case ST_STRING: {
            const e = this.scanString(buf, i, n);
            if (this.strKind === STR_RECORD_KEY) {
              const end = e < 0 ? n : e - 1;
              if (!this.keyTooLong) {
                if (this.keyText.length + end - i > MAX_RAW_KEY) {
                  this.keyTooLong = true;
                  this.keyText = '';
                } else this.keyText += buf.toString('latin1', i, end);
              }
            }
            if (e < 0) {
              i = n;
            } else {
              if (this.strKind === STR_VALUE) st = ST_AFTER;
              else {
                if (this.strKind === STR_RECORD_KEY) {
                  this.pendingTarget = !this.keyTooLong && this.keyTextIsField(this.keyText);
                  this.keyText = '';
                }
                st = ST_COLON;
              }
              i = e;
            }
            break;
          }
          case ST_NUMBER: {
            const e = this.scanNumber(buf, i, n);
            const end = e < 0 ? n : e;
            if (this.numTarget) {
              if (this.numText.length + end - i > MAX_NUMBER_TEXT) throw this.error(i, `the "${this.fieldName}" number is longer than ${MAX_NUMBER_TEXT} characters`);
              this.numText += buf.toString('latin1', i, end);
            }
            if (e < 0) {
              i = n;
            } else {
              if (this.numTarget) {
                this.field_ = F_NUMBER;
                this.fieldValue = Number(this.numText);
                this.numText = '';
              }
              st = ST_AFTER;
              i = e;
            }
            break;
          }
          case ST_LITERAL: {
            const e = this.scanLiteral(buf, i, n);
            if (e < 0) i = n;
            else {
              st = ST_AFTER;
              i = e;
            }
            break;
          }
          case ST_START: {
            if (c === 0x5b) {
              stack[++depth] = ARR;
              st = ST_ARR_FIRST;
              i++;
            } else if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
              i++;
            } else if (this.base + i === this.bom && this.bom < 3 && c === BOM[this.bom]) {
              // a UTF-8 byte order mark written by some editors (byte by byte: it may be split)
              this.bom++;
              i++;
            } else {
              throw this.unexpected(buf, i, "'[': the data set must be a JSON array of records");
            }
            break;
          }
          case ST_DONE: {
            if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
            else throw this.unexpected(buf, i, 'nothing (the data set array has ended; trailing data)');
            break;
          }
        }
      }
    }
    this.st = st;
    this.depth = depth;
    this.base += n;
  }

  /** No more input: returns the result, or throws DatasetError when the data ended early. */
  end(): ScanResult {
    if (this.st !== ST_DONE) {
      const where =
        this.st === ST_START
          ? this.base === 0
            ? 'the data set is empty (expected a JSON array)'
            : 'the data set holds only whitespace (expected a JSON array)'
          : `the data set is truncated: it ended at byte ${this.base} ${this.describeState()}`;
      throw new DatasetError(where, this.base);
    }
    return {
      records: this.records,
      skipped: this.skipped,
      counted: this.counted,
      sum: this.sum,
      avg: this.counted > 0 ? this.sum / this.counted : null,
      bytes: this.base,
    };
  }

  /** position of the next member in the current record (the WebAssembly key cache is per position) */
  private member = 0;
  /** bytes of a leading byte order mark seen so far */
  private bom = 0;

  private endRecord(): void {
    if (this.field_ === F_NUMBER) {
      this.sum += this.fieldValue;
      this.counted++;
    } else this.skipped++;
  }

  /**
   * Scans a string body from i; returns the index after the closing quote, or -1 when the chunk
   * ends first (escape state kept in this.esc). Checks escapes and rejects raw control characters.
   */
  private scanString(buf: Buffer, i: number, n: number): number {
    let esc = this.esc;
    for (; i < n; i++) {
      const c = buf[i];
      if (esc === 0) {
        if (c === 0x22) {
          this.esc = 0;
          return i + 1;
        }
        if (c === 0x5c) {
          esc = 1;
          this.sawEscape = true;
        } else if (c < 0x20) {
          this.esc = 0;
          throw this.error(i, `a raw control character (0x${c.toString(16).padStart(2, '0')}) inside a string; it must be escaped`);
        }
      } else if (esc === 1) {
        if (c === 0x75) esc = 5;
        else if (c === 0x22 || c === 0x5c || c === 0x2f || c === 0x62 || c === 0x66 || c === 0x6e || c === 0x72 || c === 0x74) esc = 0;
        else throw this.error(i, `invalid escape '\\${printable(c)}' in a string (allowed: \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)`);
      } else {
        if (!((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66))) {
          throw this.error(i, `invalid \\u escape: '${printable(c)}' is not a hex digit`);
        }
        esc = esc === 2 ? 0 : esc - 1;
      }
    }
    this.esc = esc;
    return -1;
  }

  /** Continues a number in state this.ns from i; returns the index of the first byte after it, or -1. */
  private scanNumber(buf: Buffer, i: number, n: number): number {
    let ns = this.ns;
    for (; i < n; i++) {
      const c = buf[i];
      const digit = c >= 0x30 && c <= 0x39;
      if (digit && (ns === NS_INT || ns === NS_FRAC || ns === NS_EXP)) continue;
      switch (ns) {
        case NS_MINUS:
          if (!digit) throw this.error(i, `invalid number: a digit must follow '-', found ${describe(c)}`);
          ns = c === 0x30 ? NS_ZERO : NS_INT;
          continue;
        case NS_DOT:
          if (!digit) throw this.error(i, `invalid number: a digit must follow '.', found ${describe(c)}`);
          ns = NS_FRAC;
          continue;
        case NS_E:
          if (c === 0x2b || c === 0x2d) ns = NS_ESIGN;
          else if (digit) ns = NS_EXP;
          else throw this.error(i, `invalid number: a digit or sign must follow the exponent 'e', found ${describe(c)}`);
          continue;
        case NS_ESIGN:
          if (!digit) throw this.error(i, `invalid number: a digit must follow the exponent sign, found ${describe(c)}`);
          ns = NS_EXP;
          continue;
        case NS_ZERO:
          if (digit) throw this.error(i, 'invalid number: leading zeros are not allowed');
        // falls through: after a leading zero the same things may follow as after integer digits
        case NS_INT:
          if (c === 0x2e) {
            ns = NS_DOT;
            continue;
          }
        // falls through
        case NS_FRAC:
          if (c === 0x65 || c === 0x45) {
            ns = NS_E;
            continue;
          }
        // falls through
        default:
          // NS_EXP or a terminal state seeing a non-number byte: the number ends here and the
          // byte is judged by the state that follows a value
          this.ns = ns;
          return i;
      }
    }
    this.ns = ns;
    return -1;
  }

  private scanLiteral(buf: Buffer, i: number, n: number): number {
    const word = LITERALS[this.lit];
    let p = this.litPos;
    for (; i < n && p < word.length; i++, p++) {
      if (buf[i] !== word[p]) throw this.error(i, `invalid literal: expected '${word.toString()}', found ${describe(buf[i])}`);
    }
    this.litPos = p;
    return p === word.length ? i : -1;
  }

  /** key bytes [s, e) of a record, in one chunk */
  private keyIsField(buf: Buffer, s: number, e: number): boolean {
    const f = this.field;
    if (!this.sawEscape) {
      if (e - s !== f.length) return false;
      for (let k = 0; k < f.length; k++) if (buf[s + k] !== f[k]) return false;
      return true;
    }
    // a key with escapes ("chol\u0065sterol") is rare: decode it the standard way
    return e - s <= MAX_RAW_KEY && this.keyTextIsField(buf.toString('latin1', s, e));
  }

  private keyTextIsField(raw: string): boolean {
    const decoded = JSON.parse(`"${Buffer.from(raw, 'latin1').toString('utf8')}"`) as string;
    return decoded === this.fieldName;
  }

  private describeState(): string {
    switch (this.st) {
      case ST_STRING:
        return 'inside a string (no closing \'"\')';
      case ST_NUMBER:
        return this.ns === NS_MINUS || this.ns === NS_DOT || this.ns === NS_E || this.ns === NS_ESIGN ? 'inside a number' : `after a number, with ${this.depth} bracket(s) still open`;
      case ST_LITERAL:
        return 'inside a literal (true/false/null)';
      case ST_COLON:
        return "after a key (expected ':')";
      default:
        return this.depth === 1 ? "(the closing ']' of the data set array is missing)" : `inside record ${this.records}, with ${this.depth} bracket(s) still open`;
    }
  }

  private error(i: number, what: string): DatasetError {
    const offset = this.base + i;
    return new DatasetError(`malformed data set at byte ${offset}: ${what}`, offset);
  }

  private unexpected(buf: Buffer, i: number, expected: string): DatasetError {
    const offset = this.base + i;
    const s = Math.max(0, i - 24);
    const near = buf.toString('latin1', s, Math.min(buf.length, i + 16)).replace(/\r/g, '\\r').replace(/\n/g, '\\n');
    return new DatasetError(`malformed data set at byte ${offset}: expected ${expected}, found ${describe(buf[i])} (near "${near}")`, offset);
  }
}

function printable(c: number): string {
  return c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
}

function describe(c: number): string {
  return c >= 0x21 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16).padStart(2, '0')}`;
}

/**
 * The number in bytes [s, e) (already validated). For up to 15 significant digits and no exponent,
 * integer / 10^k is exact-operand division, hence correctly rounded: the same double JSON.parse
 * gives (Clinger's fast path). Anything else goes through Number(), also correctly rounded.
 */
function parseNumber(buf: Buffer, s: number, e: number): number {
  let i = s;
  const neg = buf[i] === 0x2d;
  if (neg) i++;
  let mant = 0;
  let digits = 0;
  let frac = -1;
  for (; i < e; i++) {
    const c = buf[i];
    if (c === 0x2e) frac = 0;
    else if (c >= 0x30 && c <= 0x39) {
      mant = mant * 10 + (c - 0x30);
      if (mant !== 0) digits++;
      if (frac >= 0) frac++;
    } else return Number(buf.toString('latin1', s, e)); // exponent
  }
  if (digits > 15 || frac > 22) return Number(buf.toString('latin1', s, e));
  const v = frac > 0 ? mant / POW10[frac] : mant;
  return neg ? -v : v;
}
