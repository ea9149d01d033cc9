import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultDataDir, prepareDataDir, resolveDataDir } from '../../../electron/core/data-dir';

describe('data directory', () => {
  it('prefers --data-dir, then GATEHOUSE_DATA_DIR, then the per-user folder', () => {
    expect(resolveDataDir('/x/explicit', { GATEHOUSE_DATA_DIR: '/x/env' })).toBe('/x/explicit');
    expect(resolveDataDir(undefined, { GATEHOUSE_DATA_DIR: '/x/env' })).toBe('/x/env');
    expect(resolveDataDir(undefined, { XDG_CONFIG_HOME: '/x/cfg' })).toBe(process.platform === 'linux' ? '/x/cfg/Gatehouse' : defaultDataDir({}));
  });

  it('matches Electron userData for our product name on each platform', () => {
    expect(defaultDataDir({ XDG_CONFIG_HOME: '/h/.config' }, 'linux')).toBe('/h/.config/Gatehouse');
    expect(defaultDataDir({ APPDATA: 'C:/Users/u/AppData/Roaming' }, 'win32')).toBe(join('C:/Users/u/AppData/Roaming', 'Gatehouse'));
    expect(defaultDataDir({}, 'darwin')).toMatch(/Library\/Application Support\/Gatehouse$/);
  });

  it('creates its folders private to the user', () => {
    const root = join(mkdtempSync(join(tmpdir(), 'gh-dd-')), 'data');
    try {
      const layout = prepareDataDir(root);
      for (const dir of [layout.root, layout.keysDir, layout.headsDir, layout.exportsDir]) expect(existsSync(dir)).toBe(true);
      expect(statSync(layout.keysDir).mode & 0o077).toBe(0);
      expect(layout.appDb.startsWith(root)).toBe(true);
    } finally {
      rmSync(join(root, '..'), { recursive: true, force: true });
    }
  });
});
