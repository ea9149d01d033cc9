/**
 * The CLI's V8 code cache (electron/cli/code-cache.ts) on real files.
 *
 * V8 checks cached data only against the source's length and its own version and flags, so cached data
 * made from other code of the same length runs that other code. Every test below plants exactly that:
 * the cache of an "evil" bundle whose source has the good bundle's length, where a loader that trusted
 * the wrong directory or the wrong key would run it.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheFileName, createCodeCache, type CodeCache } from '../../../electron/cli/code-cache';

const GOOD = "module.exports = { who: 'good', n: 1 + 1 };\n";
const EVIL = "module.exports = { who: 'evil', n: 6 * 7 };\n";

/** V8 cached data compiled from `source` (after running it, as the CLI makes it). */
function cachedDataOf(source: string, filename: string): Buffer {
  const script = new Script(Module.wrap(source), { filename });
  const wrapper = script.runInThisContext() as (exports: unknown, require: unknown, module: unknown) => void;
  const module = { exports: {} };
  wrapper.call(module.exports, module.exports, null, module);
  return script.createCachedData();
}

/** Loads `file` through `cache`, as the CLI's loader does; returns its exports and how the cache was used. */
function load(cache: CodeCache, file: string): { readonly exports: { who: string; n: number }; readonly use: string } {
  const { wrapper, use } = cache.compile(file, readFileSync(file, 'utf8'));
  const module = { exports: {} as { who: string; n: number } };
  wrapper.call(module.exports, module.exports, Module.createRequire(file), module, file, join(file, '..'));
  return { exports: module.exports, use };
}

describe('CLI code cache', () => {
  let dir: string;
  let dataDir: string;
  let bundle: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gh-code-cache-'));
    dataDir = join(dir, 'data');
    mkdirSync(dataDir, { mode: 0o700 });
    bundle = join(dir, 'verify.cjs');
    writeFileSync(bundle, GOOD);
    expect(EVIL.length).toBe(GOOD.length);
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Plants the evil bundle's cached data under the name the good bundle's cache would have, in `cacheDir`. */
  function plantEvil(cacheDir: string): void {
    mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(cacheDir, cacheFileName(bundle, GOOD)), cachedDataOf(EVIL, bundle), { mode: 0o600 });
  }

  it('is made after a run, used by the next, in a 0700 directory under the data directory', () => {
    const first = createCodeCache({ dataDir });
    expect(load(first, bundle)).toEqual({ exports: { who: 'good', n: 2 }, use: 'absent' });
    expect(first.flush()).toBe(1);
    const cacheDir = join(dataDir, 'code-cache');
    expect(statSync(cacheDir).mode & 0o777).toBe(0o700);
    expect(readdirSync(cacheDir)).toEqual([cacheFileName(bundle, GOOD)]);
    expect(statSync(join(cacheDir, cacheFileName(bundle, GOOD))).mode & 0o777).toBe(0o600);
    const second = createCodeCache({ dataDir });
    expect(load(second, bundle)).toEqual({ exports: { who: 'good', n: 2 }, use: 'used' });
    expect(second.flush()).toBe(0);
  });

  it('is keyed by the bundle content: a changed bundle of the same length never runs the old code', () => {
    const first = createCodeCache({ dataDir });
    writeFileSync(bundle, EVIL);
    load(first, bundle);
    first.flush();
    // The bundle is replaced (an upgrade) by one of exactly the same length.
    writeFileSync(bundle, GOOD);
    const second = createCodeCache({ dataDir });
    expect(load(second, bundle)).toEqual({ exports: { who: 'good', n: 2 }, use: 'absent' });
    second.flush();
    // The old bundle's cache is pruned when the new one is written.
    expect(readdirSync(join(dataDir, 'code-cache'))).toEqual([cacheFileName(bundle, GOOD)]);
  });

  it('ignores a corrupt cache (V8 rejects it) and rebuilds it', () => {
    const cacheDir = join(dataDir, 'code-cache');
    mkdirSync(cacheDir, { mode: 0o700 });
    const file = join(cacheDir, cacheFileName(bundle, GOOD));
    writeFileSync(file, Buffer.from('not V8 cached data at all, just bytes'), { mode: 0o600 });
    const cache = createCodeCache({ dataDir });
    expect(load(cache, bundle)).toEqual({ exports: { who: 'good', n: 2 }, use: 'rejected' });
    expect(cache.flush()).toBe(1);
    expect(load(createCodeCache({ dataDir }), bundle).use).toBe('used');
  });

  it('refuses a cache directory that is a symlink, even to a private directory', () => {
    const elsewhere = join(dir, 'elsewhere');
    plantEvil(elsewhere);
    symlinkSync(elsewhere, join(dataDir, 'code-cache'));
    const cache = createCodeCache({ dataDir });
    expect(load(cache, bundle)).toEqual({ exports: { who: 'good', n: 2 }, use: 'off' });
    expect(cache.refused()).toMatch(/symlink|not a directory/);
    expect(cache.flush()).toBe(0);
    expect(readdirSync(elsewhere)).toEqual([cacheFileName(bundle, GOOD)]);
  });

  it('refuses a cache directory other users may write', () => {
    const cacheDir = join(dataDir, 'code-cache');
    plantEvil(cacheDir);
    for (const mode of [0o777, 0o770, 0o707, 0o1777]) {
      chmodSync(cacheDir, mode);
      const cache = createCodeCache({ dataDir });
      expect(load(cache, bundle)).toEqual({ exports: { who: 'good', n: 2 }, use: 'off' });
      expect(cache.refused()).toMatch(/other users/);
    }
  });

  it('refuses a cache directory owned by another user', () => {
    plantEvil(join(dataDir, 'code-cache'));
    const uid = (process.getuid?.() ?? 0) + 1;
    const cache = createCodeCache({ dataDir, uid });
    expect(load(cache, bundle)).toEqual({ exports: { who: 'good', n: 2 }, use: 'off' });
    expect(cache.refused()).toMatch(/owned by uid/);
  });

  it('refuses a data directory other users may write (they could swap the cache directory)', () => {
    plantEvil(join(dataDir, 'code-cache'));
    chmodSync(dataDir, 0o777);
    const cache = createCodeCache({ dataDir });
    expect(load(cache, bundle).exports.who).toBe('good');
    expect(cache.refused()).toMatch(/other users/);
  });

  it('refuses a data directory below a folder other users may write (they could swap the data directory)', () => {
    const shared = join(dir, 'shared');
    mkdirSync(shared);
    const inShared = join(shared, 'data');
    mkdirSync(inShared, { mode: 0o700 });
    writeFileSync(bundle, GOOD);
    mkdirSync(join(inShared, 'code-cache'), { mode: 0o700 });
    writeFileSync(join(inShared, 'code-cache', cacheFileName(bundle, GOOD)), cachedDataOf(EVIL, bundle), { mode: 0o600 });
    chmodSync(shared, 0o777);
    const open = createCodeCache({ dataDir: inShared });
    expect(load(open, bundle)).toEqual({ exports: { who: 'good', n: 2 }, use: 'off' });
    expect(open.refused()).toMatch(/replace entries in .*shared/);
    // A sticky world-writable folder (as /tmp) lets nobody rename another user's entries: the cache is used.
    chmodSync(shared, 0o1777);
    rmSync(join(inShared, 'code-cache'), { recursive: true });
    const sticky = createCodeCache({ dataDir: inShared });
    load(sticky, bundle);
    expect(sticky.flush()).toBe(1);
    expect(load(createCodeCache({ dataDir: inShared }), bundle).use).toBe('used');
  });

  it('refuses a cache file that is a symlink or that other users may write', () => {
    const cacheDir = join(dataDir, 'code-cache');
    mkdirSync(cacheDir, { mode: 0o700 });
    const planted = join(dir, 'planted.v8');
    writeFileSync(planted, cachedDataOf(EVIL, bundle), { mode: 0o600 });
    symlinkSync(planted, join(cacheDir, cacheFileName(bundle, GOOD)));
    expect(load(createCodeCache({ dataDir }), bundle)).toEqual({ exports: { who: 'good', n: 2 }, use: 'absent' });
    rmSync(join(cacheDir, cacheFileName(bundle, GOOD)));
    writeFileSync(join(cacheDir, cacheFileName(bundle, GOOD)), cachedDataOf(EVIL, bundle), { mode: 0o666 });
    chmodSync(join(cacheDir, cacheFileName(bundle, GOOD)), 0o666);
    expect(load(createCodeCache({ dataDir }), bundle)).toEqual({ exports: { who: 'good', n: 2 }, use: 'absent' });
  });

  it('is written at the end of a first run whose command created the data directory', () => {
    const fresh = join(dir, 'fresh');
    const cache = createCodeCache({ dataDir: fresh });
    expect(load(cache, bundle).use).toBe('off');
    mkdirSync(fresh, { mode: 0o700 }); // what the core's prepareDataDir does during the command
    expect(cache.flush()).toBe(1);
    expect(load(createCodeCache({ dataDir: fresh }), bundle).use).toBe('used');
  });

  it('writes nothing when the data directory does not exist (it never creates one)', () => {
    const missing = join(dir, 'missing');
    const cache = createCodeCache({ dataDir: missing });
    expect(load(cache, bundle).use).toBe('off');
    expect(cache.flush()).toBe(0);
    expect(existsSync(missing)).toBe(false);
  });
});
