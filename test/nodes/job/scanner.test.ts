import { describe, expect, it } from 'vitest';
import { CholesterolScanner, type ScanResult } from '../../../nodes/job/cholesterol-scanner.js';
import { DatasetError } from '../../../nodes/job/errors.js';
import { UserError } from '../../../model/errors.js';
import { datasetText } from '../../../dataset/generate.js';
import { createRng } from '../../../util/rng.js';

/** Feeds `text` to a scanner in chunks of `size` bytes (0: one chunk). */
function scan(text: string | Buffer, size = 0): ScanResult {
  const buf = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const s = new CholesterolScanner();
  if (size <= 0) s.write(buf);
  else for (let i = 0; i < buf.length; i += size) s.write(buf.subarray(i, i + size));
  return s.end();
}

/** What the job must say, computed the slow obvious way. Throws when JSON.parse does or the top level is not an array. */
function reference(text: string): { records: number; skipped: number; avg: number | null } {
  const v: unknown = JSON.parse(text);
  if (!Array.isArray(v)) throw new Error('not an array');
  let sum = 0;
  let counted = 0;
  for (const r of v) {
    const c = r !== null && typeof r === 'object' && !Array.isArray(r) ? (r as Record<string, unknown>).cholesterol : undefined;
    if (typeof c === 'number') {
      sum += c;
      counted++;
    }
  }
  return { records: v.length, skipped: v.length - counted, avg: counted ? sum / counted : null };
}

function expectAgrees(text: string, sizes = [0, 1, 2, 3, 7, 64]): void {
  const ref = reference(text);
  for (const size of sizes) {
    const r = scan(text, size);
    expect({ records: r.records, skipped: r.skipped, avg: r.avg }, `chunk size ${size}`).toEqual(ref);
  }
}

function expectMalformed(text: string | Buffer, sizes = [0, 1, 5]): DatasetError {
  let first: DatasetError | undefined;
  for (const size of sizes) {
    let err: unknown;
    try {
      scan(text, size);
    } catch (e) {
      err = e;
    }
    expect(err, `chunk size ${size}: ${JSON.stringify(String(text))}`).toBeInstanceOf(DatasetError);
    if (first) expect((err as DatasetError).offset, 'the offset does not depend on chunking').toBe(first.offset);
    first ??= err as DatasetError;
  }
  return first!;
}

describe('CholesterolScanner on generated data sets', () => {
  it('agrees with JSON.parse on generated files, whatever the chunking', () => {
    for (const [records, seed] of [[1, 1], [5, 2], [40, 3]] as const) {
      const text = [...datasetText(records, seed)].join('');
      expectAgrees(text, [0, 1, 13, 4096]);
    }
  });

  it('records whose keys change order, length or spelling between records (key cache)', () => {
    const rows = [
      '{"ssn":"1","cholesterol":100.5,"HDL cholesterol":40}',
      '{"ssn":"2","cholesterol":200.25,"HDL cholesterol":41}',
      '{"ssn":"3","cholesterolX":999,"HDL cholesterol":42,"cholesterol":50}',
      '{"ssn":"4","cholesteroL":999,"HDL cholesterol":43}',
      '{"ssn":"5","chol":999,"cholesterol":"7","HDL cholesterol":44}',
      '{"cholesterol":1,"ssn":"6","HDL cholesterol":45}',
      '{"ssn":"7","cholesterol" :70,"HDL cholesterol":46}',
      '{"ssn":"8","chol\\u0065sterol":80,"HDL cholesterol":47}',
      '{"ssn":"9","cholesterol":90,"HDL cholesterol":48}',
    ];
    for (const sep of [',', ',\r\n', ' , ']) {
      const text = `[\r\n${rows.join(sep)}\r\n]`;
      expectAgrees(text, [0, 1, 3, 5, 11, 17]);
      expect(scan(text)).toMatchObject({ records: 9, skipped: 2 });
    }
  });

  it('counts bytes and records of a 2000-record file fed in random chunk sizes', () => {
    const buf = Buffer.from([...datasetText(2000, 9)].join(''));
    const rng = createRng(4);
    const s = new CholesterolScanner();
    for (let i = 0; i < buf.length; ) {
      const n = 1 + rng.int(300);
      s.write(buf.subarray(i, i + n));
      i += n;
    }
    const r = s.end();
    expect(r.bytes).toBe(buf.length);
    expect(r.records).toBe(2000);
    expect(r.avg).toBe(reference(buf.toString()).avg);
  });
});

describe('CholesterolScanner: the WebAssembly fast path', () => {
  /** feeds chunks of decreasing size, so bytes of an earlier, longer chunk lie just past each end */
  function scanShrinking(buf: Buffer, first: number): ScanResult {
    const s = new CholesterolScanner();
    let size = first;
    for (let i = 0; i < buf.length; ) {
      s.write(buf.subarray(i, i + size));
      i += size;
      size = Math.max(1, size - 1);
    }
    return s.end();
  }

  it('never trusts the bytes past the end of a chunk (stale digits, quotes and keys of a longer chunk)', () => {
    const text = [...datasetText(60, 11)].join('');
    const ref = reference(text);
    for (const first of [997, 613, 250]) {
      const r = scanShrinking(Buffer.from(text), first);
      expect({ records: r.records, skipped: r.skipped, avg: r.avg }, `first chunk ${first}`).toEqual(ref);
    }
  });

  it('keys of 14 to 34 bytes around the 16- and 32-byte compare widths, the field among them', () => {
    const keys = ['k'.repeat(14), 'k'.repeat(15), 'k'.repeat(16), 'k'.repeat(29), 'k'.repeat(30), 'k'.repeat(31), 'k'.repeat(32), 'k'.repeat(34)];
    const rows: string[] = [];
    for (let r = 0; r < 12; r++) {
      // the same layout each record (cache hits), and every third record a key changed at its very last byte (a miss)
      const ks = keys.map((k, j) => (r % 3 === 2 && j % 2 === 0 ? `${k.slice(0, -1)}z` : k));
      const members = ks.map((k, j) => `"${k}":${r * 10 + j}`);
      members.splice(r % keys.length, 0, r % 4 === 3 ? '"cholesterolz":1' : `"cholesterol":${r + 0.5}`);
      rows.push(`{\r\n${members.join(',\r\n')}\r\n}`);
    }
    const text = `[\r\n${rows.join(',\r\n')}\r\n]`;
    expectAgrees(text, [0, 1, 16, 33, 100]);
    expect(scan(text)).toMatchObject({ records: 12, skipped: 3 });
  });

  it('cholesterol values the fast path hands back (exponents, 16+ digits, negative zero) give JSON.parse doubles', () => {
    const values = ['1.5e2', '172.783316929282361', '9007199254740993', '-0', '0.1e-0', '1234567890.12345', '12345678901234567', '0.0000000000000000000000001', '-17.25'];
    const text = `[${values.map((v, k) => `{"ssn":"${k}","cholesterol":${v},"HDL":1}`).join(',\r\n')}]`;
    expectAgrees(text, [0, 1, 5]);
  });

  it('one chunk far larger than any before it grows the WebAssembly memory', () => {
    const small = Buffer.from([...datasetText(3, 5)].join(''));
    const big = Buffer.from([...datasetText(400, 6)].join(''));
    const s1 = new CholesterolScanner();
    s1.write(small.subarray(0, 10));
    s1.write(small.subarray(10));
    expect(s1.end().avg).toBe(reference(small.toString()).avg);
    const s2 = new CholesterolScanner();
    s2.write(big.subarray(0, 7));
    s2.write(big.subarray(7));
    expect(s2.end()).toMatchObject({ records: 400, avg: reference(big.toString()).avg });
  });

  it('a chunk over 8 MiB is scanned in slices with the same result as small chunks', () => {
    const huge = Buffer.from([...datasetText(16_000, 8)].join(''));
    expect(huge.length).toBeGreaterThan(8 * 1024 * 1024);
    const whole = scan(huge);
    expect(whole).toEqual(scan(huge, 65536));
    expect(whole).toMatchObject({ records: 16_000, bytes: huge.length });
  });
});

describe('CholesterolScanner: valid but unusual JSON', () => {
  const cases: Record<string, string> = {
    'empty array': '[]',
    'empty array with whitespace': ' \t\r\n[ \r\n ] \n',
    'one record': '[{"cholesterol":180.5}]',
    'missing cholesterol is skipped': '[{"cholesterol":100},{"HDL cholesterol":50},{"cholesterol":200}]',
    'string cholesterol is skipped': '[{"cholesterol":"180"},{"cholesterol":120}]',
    'null/true/false cholesterol skipped': '[{"cholesterol":null},{"cholesterol":true},{"cholesterol":false},{"cholesterol":1}]',
    'object/array cholesterol skipped': '[{"cholesterol":{"value":1}},{"cholesterol":[1,2]},{"cholesterol":3}]',
    'only skipped records: avg null': '[{"a":1},{"cholesterol":"x"}]',
    'non-object elements are skipped records': '[1,"a",null,[{"cholesterol":5}],{"cholesterol":7}]',
    'nested cholesterol keys do not count': '[{"lab":{"cholesterol":999},"list":[{"cholesterol":999}],"cholesterol":100}]',
    'duplicate key: the last wins, as in JSON.parse': '[{"cholesterol":100,"cholesterol":"bad"},{"cholesterol":"bad","cholesterol":50}]',
    'escaped key equal to the field': '[{"chol\\u0065sterol":123.25},{"cholesterol\\n":1}]',
    'unicode escapes and escaped quotes in strings': '[{"name":"A\\u00e9\\"\\\\\\/\\b\\f\\n\\r\\t\\uD83D\\uDE00","cholesterol":150}]',
    'utf-8 text in strings and keys': '[{"nom":"Zoë – 東京","clé":"✓","cholesterol":150.5}]',
    'numbers of every shape': '[{"cholesterol":-0},{"cholesterol":1e2},{"cholesterol":1.5E-3},{"cholesterol":-12.75e+1},{"cholesterol":0.1},{"cholesterol":123456789012345678901234567890},{"cholesterol":0.30000000000000004}]',
    'deep nesting inside a record': '[{"a":[[[[{"b":[{"c":{"d":[true,false,null,-1.5e-7,"s"]}}]}]]]],"cholesterol":88}]',
    'whitespace everywhere': '[ { "cholesterol" : 10 , "x" : [ 1 , 2 ] } ,\n\t{ "cholesterol":20 } ]',
  };
  for (const [name, text] of Object.entries(cases)) {
    it(name, () => expectAgrees(text));
  }

  it('reports skipped records and never averages them', () => {
    const r = scan('[{"cholesterol":100},{"cholesterol":"180"},{},{"cholesterol":null},{"cholesterol":300}]');
    expect(r).toMatchObject({ records: 5, skipped: 3, counted: 2, avg: 200 });
  });

  it('empty array: no records, avg null', () => {
    expect(scan('[]')).toMatchObject({ records: 0, skipped: 0, avg: null, bytes: 2 });
  });

  it('accepts a UTF-8 byte order mark', () => {
    const r = scan(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('[{"cholesterol":5}]')]), 1);
    expect(r.avg).toBe(5);
  });
});

describe('CholesterolScanner: malformed input', () => {
  const bad: Record<string, string> = {
    'empty input': '',
    'only whitespace': ' \r\n ',
    'top level object': '{"cholesterol":1}',
    'top level number': '42',
    'missing comma between records': '[{"cholesterol":1}{"cholesterol":2}]',
    'trailing comma in object': '[{"cholesterol":1,}]',
    'trailing comma in array': '[{"cholesterol":1},]',
    'missing colon': '[{"cholesterol" 1}]',
    'unquoted key': '[{cholesterol:1}]',
    'single quotes': "[{'cholesterol':1}]",
    'mismatched bracket': '[{"cholesterol":1]]',
    'leading zero': '[{"cholesterol":0123}]',
    'bare minus': '[{"cholesterol":-}]',
    'dot without digits': '[{"cholesterol":1.}]',
    'leading dot': '[{"cholesterol":.5}]',
    'exponent without digits': '[{"cholesterol":1e}]',
    'plus sign': '[{"cholesterol":+1}]',
    'NaN': '[{"cholesterol":NaN}]',
    'bad literal': '[{"cholesterol":nul}]',
    'literal with extra letters': '[{"x":truex,"cholesterol":1}]',
    'bad escape': '[{"a":"\\x41","cholesterol":1}]',
    'short unicode escape': '[{"a":"\\u12G4","cholesterol":1}]',
    'raw newline in a string': '[{"a":"line\nbreak","cholesterol":1}]',
    'raw tab in a key': '[{"a\tb":1}]',
    'trailing garbage': '[{"cholesterol":1}] x',
    'two arrays': '[][]',
    'truncated in a string': '[{"cholesterol":1,"name":"abc',
    'truncated in a number': '[{"cholesterol":1.',
    'truncated after a number': '[{"cholesterol":12',
    'truncated record': '[{"cholesterol":12}',
    'missing closing bracket': '[{"cholesterol":12},',
    'truncated in an escape': '[{"a":"\\u00',
    'truncated in a literal': '[{"a":tr',
  };
  for (const [name, text] of Object.entries(bad)) {
    it(name, () => {
      // the reference agrees that these are not a data set
      expect(() => reference(text)).toThrow();
      const e = expectMalformed(text);
      expect(e).toBeInstanceOf(UserError);
      expect(e.message).toMatch(/byte \d+|empty|whitespace/);
    });
  }

  it('gives the byte offset of the bad token', () => {
    const text = '[{"cholesterol":1},\r\n{"cholesterol":2,}]';
    const e = expectMalformed(text);
    expect(e.offset).toBe(text.indexOf(',}') + 1);
    expect(e.message).toContain(`byte ${e.offset}`);
    expect(e.message).toContain("expected a key string after ',' in an object");
  });

  it('says truncated, with the length, when the data ends early', () => {
    const text = [...datasetText(3, 1)].join('');
    const e = expectMalformed(text.slice(0, 1000));
    expect(e.message).toMatch(/truncated: it ended at byte 1000/);
    expect(e.offset).toBe(1000);
  });

  it('rejects every proper prefix of a data set (no average from half a file)', () => {
    const text = [...datasetText(2, 5)].join('');
    for (let cut = 0; cut < text.length; cut++) {
      expect(() => scan(text.slice(0, cut), 7), `cut at ${cut}`).toThrow(DatasetError);
    }
    expect(scan(text).records).toBe(2);
  });

  it('agrees with JSON.parse on 400 random one-byte corruptions', () => {
    const base = [...datasetText(2, 11)].join('') ;
    const text = base.replace('"gender":"F"', '"gender":"F\\u00e9","n":[1,{"x":null}]');
    const rng = createRng(99);
    const alphabet = '{}[]":,.-+eE0123456789 \\utrfnalsx\n';
    for (let k = 0; k < 400; k++) {
      const pos = rng.int(text.length);
      const op = rng.int(3);
      const ch = alphabet[rng.int(alphabet.length)];
      const mutated = op === 0 ? text.slice(0, pos) + text.slice(pos + 1) : op === 1 ? text.slice(0, pos) + ch + text.slice(pos + 1) : text.slice(0, pos) + ch + text.slice(pos);
      let ref: ReturnType<typeof reference> | undefined;
      try {
        ref = reference(mutated);
      } catch {
        ref = undefined;
      }
      const chunk = 1 + rng.int(40);
      if (ref === undefined) {
        expect(() => scan(mutated, chunk), `mutation ${k} should be refused: ${JSON.stringify(mutated.slice(Math.max(0, pos - 20), pos + 20))}`).toThrow(DatasetError);
      } else {
        const r = scan(mutated, chunk);
        expect({ records: r.records, skipped: r.skipped, avg: r.avg }, `mutation ${k}`).toEqual(ref);
      }
    }
  });
});
