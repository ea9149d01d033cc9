import { describe, expect, it } from 'vitest';
import { followLine } from '../../../electron/core/comments';

describe('followLine', () => {
  const before = 'a\nb\nc\nd\n';

  it('keeps a line where nothing moved', () => {
    expect(followLine(before, before, 3)).toBe(3);
  });

  it('moves a line down by the lines inserted above it and keeps it above an insertion below', () => {
    expect(followLine(before, 'x\ny\na\nb\nc\nd\n', 3)).toBe(5);
    expect(followLine(before, 'a\nb\nnew\nc\nd\n', 2)).toBe(2);
    expect(followLine(before, 'a\nb\nnew\nc\nd\n', 4)).toBe(5);
  });

  it('loses a line that was changed or deleted', () => {
    expect(followLine(before, 'a\nB\nc\nd\n', 2)).toBeNull();
    expect(followLine(before, 'a\nc\nd\n', 2)).toBeNull();
    expect(followLine(before, 'a\nc\nd\n', 3)).toBe(2);
  });

  it('finds nothing past the end of the old text', () => {
    expect(followLine(before, before, 9)).toBeNull();
  });
});
