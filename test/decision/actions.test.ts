import { describe, expect, it } from 'vitest';
import { UserError } from '../../model/errors.js';
import { formatAction, parseAction, tryParseAction, vectorLabelFor } from '../../decision/actions.js';

describe('action labels', () => {
  it('round-trips every kind', () => {
    for (const l of ['M3_1', 'C3_1', 'CR2', 'NA', 'M12_10', 'S1', 'S12']) expect(formatAction(parseAction(l))).toBe(l);
    expect(parseAction('M3_1')).toEqual({ type: 'move', from: 3, to: 1 });
    expect(parseAction('C2_3')).toEqual({ type: 'copy', from: 2, to: 3 });
    expect(parseAction('CR2')).toEqual({ type: 'changeRef', to: 2 });
    expect(parseAction('NA')).toEqual({ type: 'none' });
    expect(parseAction('S4')).toEqual({ type: 'scale', workers: 4 });
  });
  it('rejects bad labels with a UserError that says what a label looks like', () => {
    for (const bad of ['M3', 'M1_1', 'X1_2', 'cr2', '', 'M1_2x', 'CR', 'CR1_2', 'M_2', 'M1_', 'C1 _2', 'M1_2_3', 'MM1_2', 'C-1_2', 'CRx', 'S', 'S0', 'S-1', 'S2x', 's2']) expect(tryParseAction(bad)).toBeUndefined();
    expect(() => parseAction('M1_1')).toThrow(UserError);
    expect(() => parseAction('foo')).toThrow(/M\{x\}_\{y\}/);
    expect(() => parseAction('S0')).toThrow(/S\{n\}/);
  });
  it('CR{y} is scored with the vector of M{d}_{y}', () => {
    expect(vectorLabelFor(parseAction('CR1'), 3)).toBe('M3_1');
    expect(vectorLabelFor(parseAction('C3_1'), 3)).toBe('C3_1');
  });
});
