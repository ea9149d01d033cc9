/** Checkpoint reasons in plain words (issue 14: "before rollback to …26434589: before rolling back to …26434589"). */
import { describe, expect, it } from 'vitest';
import { checkpointLabel } from '../../../electron/core/rollback-preview';

const labels: Record<string, string> = { '20261203T1402-aa': 'Before applying quote-formula (by lee)' };
const labelOf = (id: string): string | null => labels[id] ?? null;

describe('checkpointLabel', () => {
  it.each([
    [{ reason: 'before applying quote-formula (5e10335d75)', operator: 'lee' }, 'Before applying quote-formula (by lee)'],
    [{ reason: 'before rollback to 20261203T1402-aa: before rolling back to 20261203T1402-aa', operator: 'lee' }, 'Undo point: the state just before a rollback to “Before applying quote-formula (by lee)”'],
    [
      { reason: 'before rollback to 20261203T1402-aa: post-apply check: the benchmark is 143.9 % slower (threshold 10.0 %)', operator: 'gatehouse' },
      'Undo point: the state just before Gatehouse rolled back by itself (the benchmark is 143.9 % slower (threshold 10.0 %))',
    ],
    [{ reason: 'periodic checkpoint', operator: 'system' }, 'Periodic checkpoint'],
    [{ reason: 'before the release', operator: 'lee' }, 'Before the release'],
  ])('%j → %s', (checkpoint, label) => {
    expect(checkpointLabel(checkpoint, labelOf)).toBe(label);
  });
});
