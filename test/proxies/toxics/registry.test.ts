/**
 * The toxic registry: every toxics/<type>.ts is registered under its type, new toxics are decoded
 * with Toxiproxy's defaults against it, and an unknown type is refused.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../proxies/server/errors.js';
import { recorder } from './helpers.js';
import { Stage } from '../../../proxies/server/toxics/common.js';
import { createStage, decodeNewToxic, decodeToxicUpdate, lookupToxic, toxicTypes } from '../../../proxies/server/toxics/registry.js';

const SHARED = new Set(['common.ts', 'registry.ts', 'all.ts']);
const dir = fileURLToPath(new URL('../../../proxies/server/toxics/', import.meta.url));

describe('toxic registry', () => {
  it('holds one toxic per file, under the file name, with a test file beside the others', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !SHARED.has(f));
    expect(toxicTypes().sort()).toEqual(files.map((f) => f.slice(0, -3)).sort());
    const tests = new Set(readdirSync(fileURLToPath(new URL('.', import.meta.url))));
    for (const type of toxicTypes()) expect(tests.has(`${type}.test.ts`), `test/proxies/toxics/${type}.test.ts`).toBe(true);
  });

  it('builds a stage for every registered type', () => {
    const r = recorder();
    for (const type of toxicTypes()) {
      const spec = decodeNewToxic({ type });
      const stage = createStage(spec, r.sink, r.host);
      expect(stage).toBeInstanceOf(Stage);
      stage.dispose();
    }
  });

  it('decodes a new toxic with Toxiproxy defaults: downstream, every attribute 0, toxicity 1, name type_stream', () => {
    expect(decodeNewToxic({ type: 'latency' })).toEqual({ attributes: { latency: 0, jitter: 0 }, name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 1 });
    // the stream is kept as spelled (Toxiproxy 2.12 does), the direction read case-blind
    expect(decodeNewToxic({ type: 'bandwidth', stream: 'UPstream', attributes: { rate: 5 } })).toMatchObject({ name: 'bandwidth_UPstream', stream: 'UPstream', attributes: { rate: 5 } });
  });

  it('refuses an unknown type, including names every object has', () => {
    for (const type of ['nope', 'constructor', 'toString', undefined]) {
      expect(() => decodeNewToxic({ type })).toThrow(new ApiError('invalid toxic type', 400));
    }
    expect(() => decodeNewToxic({ type: 42 })).toThrow('bad request body: json: cannot unmarshal number into Go struct field ToxicWrapper.type of type string');
    expect(lookupToxic('__proto__')).toBeUndefined();
  });

  it('an update keeps what it leaves out and checks against the type of the toxic', () => {
    const t = decodeNewToxic({ type: 'latency', attributes: { latency: 100, jitter: 5 } });
    expect(decodeToxicUpdate(t, { attributes: { latency: 200 } })).toEqual({ ...t, attributes: { latency: 200, jitter: 5 } });
    expect(decodeToxicUpdate(t, { toxicity: 0.5 })).toEqual({ ...t, toxicity: 0.5 });
    expect(() => decodeToxicUpdate(t, [])).toThrow('bad request body: expected a JSON object');
  });
});
