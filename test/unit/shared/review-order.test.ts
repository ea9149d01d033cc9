import { describe, expect, it } from 'vitest';
import { comparePaths, firstFileToOpen, orderFiles } from '../../../shared/model/review-order';

describe('review order', () => {
  it('sorts a directory before the files next to it, then by name', () => {
    const files = ['z.txt', 'src/b.ts', 'src/a/deep.ts', 'a.txt', 'src/z.ts'].map((path) => ({ path }));
    expect(orderFiles(files).map((file) => file.path)).toEqual(['src/a/deep.ts', 'src/b.ts', 'src/z.ts', 'a.txt', 'z.txt']);
    expect(comparePaths('same/path', 'same/path')).toBe(0);
  });

  it('opens the first file with an introduced finding, else the first file, else nothing', () => {
    const files = [{ path: 'lib/x.py' }, { path: 'app/y.py' }, { path: 'README.md' }];
    expect(firstFileToOpen(files, [{ path: 'lib/x.py', introduced: true }, { path: 'app/y.py', introduced: false }])).toBe('lib/x.py');
    expect(firstFileToOpen(files, [{ path: 'app/y.py', introduced: false }])).toBe('app/y.py');
    expect(firstFileToOpen([], [])).toBeNull();
  });
});
