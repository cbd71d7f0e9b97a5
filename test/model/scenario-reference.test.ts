import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scenarioReference } from '../../model/scenario-reference.js';

describe('docs/scenario.md', () => {
  it('is the reference generated from the schema that validates scenarios (regenerate with npm run docs)', () => {
    expect(readFileSync('docs/scenario.md', 'utf8')).toBe(scenarioReference());
  });
  it('names every field with its default and bounds', () => {
    const ref = scenarioReference();
    expect(ref).toContain('| `decision.scoring` | "original" \\| "weighted" |  | `"original"` |');
    expect(ref).toMatch(/\| `nodes\[\]\.id` \| whole number \| >= 1, <= 1000000 \| required \|/);
    expect(ref).toMatch(/\| `topology\(generator: tiered\)\.nodes` \| whole number \| >= 2, <= 1000000 \| required \|/);
    expect(ref).toMatch(/\| `apps\.count` \| whole number \| >= 1, <= 1000000 \| required \|/);
    expect(ref).toMatch(/\| `job\.rangeBytes` \| whole number \| >= 0 \| `4194304` \|/);
  });
});
