import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { readYaml, YamlError } from '../../model/yaml.js';
import { parseScenarioYaml } from '../../model/scenario.js';
import { UserError } from '../../model/errors.js';

const thesisText = readFileSync('scenarios/thesis.yaml', 'utf8');

/** the billion laughs: each level names the one below nine times */
function aliasBomb(levels: number): string {
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x]'];
  for (let k = 1; k <= levels; k++) lines.push(`a${k}: &a${k} [${Array(9).fill(`*a${k - 1}`).join(', ')}]`);
  return lines.join('\n') + '\n';
}

describe('the YAML reader (model/yaml.ts)', () => {
  it('reads the core schema: numbers, booleans, null; a date stays text', () => {
    expect(readYaml('a: 1\nb: 1.5\nc: true\nd: ~\ne: 2026-12-03\nf: 0x10\ng: yes\n')).toEqual({ a: 1, b: 1.5, c: true, d: null, e: '2026-12-03', f: 16, g: 'yes' });
  });

  it('names the line and column of a syntax error and of a key given twice', () => {
    const bad = (text: string) => {
      try {
        readYaml(text);
      } catch (e) {
        return e as YamlError;
      }
      throw new Error('no error');
    };
    expect(bad('a: [1, 2\nb: 3\n')).toBeInstanceOf(YamlError);
    const dup = bad('a: 1\nb: 2\na: 3\n');
    expect(dup.message).toMatch(/duplicated mapping key/);
    expect(dup.line).toBe(3);
    expect(() => parseScenarioYaml('name: x\nname: y\n', 's.yaml')).toThrow(/invalid scenario s\.yaml: 1 problem\(s\)\n  line 2, column 1: duplicated mapping key/);
  });

  it('refuses an alias bomb before anything walks it, and keeps a few shared aliases', () => {
    expect(() => readYaml(aliasBomb(9))).toThrow(/aliases expand it to more than 200,000,000 values/);
    const e = (() => {
      try {
        parseScenarioYaml(aliasBomb(9), 'bomb.yaml');
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(UserError);
    expect((e as Error).message).toMatch(/^invalid scenario bomb\.yaml: 1 problem/);
    // three levels (729 values) is an ordinary use of aliases
    expect((readYaml(aliasBomb(3)) as { a3: unknown[] }).a3).toHaveLength(9);
  });

  it('a number beyond a double is named as such, with its path', () => {
    expect(() => parseScenarioYaml(thesisText.replace(/availability: 97/, 'availability: 1e400'))).toThrow(/nodes\[0\]\.availability: expected a finite number, got 1e400/);
  });
});
