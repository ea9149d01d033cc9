/**
 * The raw tree scanner (`scanTree`, `readTreeRaw`) and the tree diff built on it: it must refuse every
 * malformed tree the parsed reader refuses (order, duplicates, truncation, bad modes) with a typed
 * error, agree with it on everything else, and list exactly the changes native git lists.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatehouseError } from '../../../../shared/model/result';
import { GitRefusedError } from '../../../../electron/services/git/errors';
import { createObjectStore, hashObject, scanTree } from '../../../../electron/services/git/object-store';
import { openRepository } from '../../../../electron/services/git/repository';
import { diffTrees, forEachTreeChange, type TreeChange } from '../../../../electron/services/git/trees';
import { makeRepo, makeSwapRepo, type TempRepo } from '../../../fixtures/git/repo';

let seed: TempRepo;
let scratch: TempRepo;
let treeBytes: Buffer;

beforeAll(() => {
  seed = makeRepo({ a: 'file a\n', 'a-b': 'x\n', 'a.c': 'y\n', 'dir/x.txt': '1\n', 'z.txt': 'z\n' });
  seed.symlink('link', 'z.txt');
  seed.commitAll('with a symlink');
  treeBytes = execFileSync('git', ['cat-file', 'tree', 'HEAD^{tree}'], { cwd: seed.dir });
  scratch = makeRepo({ 'x.txt': 'x\n' });
});

afterAll(() => {
  seed?.cleanup();
  scratch?.cleanup();
});

/** One tree entry's bytes, as git writes them. */
function entry(mode: string, name: string, oid = 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391'): Buffer {
  return Buffer.concat([Buffer.from(`${mode} ${name}\0`, 'utf8'), Buffer.from(oid, 'hex')]);
}

/** Writes a tree object loose into the scratch repository and returns a fresh store and its id. */
function placeTree(body: Buffer): { store: ReturnType<typeof createObjectStore>; id: string } {
  const gitdir = join(scratch.dir, '.git');
  const id = hashObject('tree', body);
  mkdirSync(join(gitdir, 'objects', id.slice(0, 2)), { recursive: true });
  writeFileSync(join(gitdir, 'objects', id.slice(0, 2), id.slice(2)), deflateSync(Buffer.concat([Buffer.from(`tree ${body.length}\0`), body])));
  return { store: createObjectStore({ gitdir, dir: scratch.dir, cache: {} }), id };
}

async function outcome(run: () => Promise<unknown>): Promise<{ ok: true; value: unknown } | { ok: false }> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    if (!(error instanceof GatehouseError)) throw new Error(`untyped ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`);
    return { ok: false };
  }
}

describe('scanTree on hostile bytes', () => {
  it('agrees with the parsed reader on mutated and raw trees: the same entries, or a typed refusal from both', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
          fc
            .record({ flips: fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 4 }), cut: fc.option(fc.nat(), { nil: null }) })
            .map(({ flips, cut }) => {
              const base = Buffer.from(treeBytes);
              for (const flip of flips) base[flip.at % base.length] = flip.value;
              return cut === null ? base : base.subarray(0, cut % (base.length + 1));
            }),
        ),
        async (body) => {
          const { store, id } = placeTree(body);
          const raw = await outcome(() => store.readTreeRaw(id));
          const parsed = await outcome(() => store.readTree(id));
          // The parsed reader also refuses names that collide only once decoded; nothing else differs.
          if (parsed.ok) {
            expect(raw.ok).toBe(true);
            accepted += 1;
            const tree = (raw as { value: ReturnType<typeof scanTree> }).value;
            const entries = [];
            for (let i = 0; i < tree.count; i += 1) {
              const nul = tree.nameEnd[i] as number;
              entries.push({ name: tree.bytes.toString('utf8', tree.nameStart[i], nul), mode: tree.modes[i], oid: tree.bytes.toString('hex', nul + 1, nul + 21) });
            }
            expect(entries).toEqual(parsed.value);
          }
        },
      ),
      { numRuns: 300 },
    );
    // The mutations must not all be refusals, or the agreement above says nothing.
    expect(accepted).toBeGreaterThan(10);
  });

  it('refuses a truncated entry, a bad mode and entries out of order, typed', () => {
    const good = Buffer.concat([entry('100644', 'a'), entry('100644', 'b')]);
    expect(scanTree('t', good).count).toBe(2);
    for (const bad of [
      good.subarray(0, good.length - 1),
      good.subarray(0, 5),
      Buffer.concat([entry('100648', 'a')]),
      Buffer.concat([entry('10064400', 'a')]),
      Buffer.concat([Buffer.from(' a\0'), Buffer.alloc(20)]),
      Buffer.concat([entry('100644', 'b'), entry('100644', 'a')]),
      Buffer.concat([entry('100644', 'a'), entry('100644', 'a')]),
    ]) {
      expect(() => scanTree('t', bad)).toThrow(GitRefusedError);
    }
  });

  it('refuses a file and a directory of the same name with entries sorting between them', () => {
    // Git's order: `link`, `link-x`, `link.y`, `link/` (a tree sorts as if it ended in a slash).
    const tree = Buffer.concat([entry('120000', 'link'), entry('100644', 'link-x'), entry('100644', 'link.y'), entry('40000', 'link')]);
    expect(() => scanTree('t', tree)).toThrow(/duplicate entry "link"/u);
    const fine = Buffer.concat([entry('120000', 'link'), entry('100644', 'link-x'), entry('40000', 'linked')]);
    expect(scanTree('t', fine).count).toBe(3);
  });

  it('still refuses the duplicate when a hostile tree puts hundreds of entries between the two', () => {
    // Directories `a!`, `a!!`, ... sort between a file `a` and a directory `a`: past the backward scan's
    // bound the check moves to a set of names, and must still see the file. (Were they out of order,
    // the refusal would name the order, not the duplicate.)
    const between: Buffer[] = [];
    for (let k = 300; k >= 1; k -= 1) between.push(entry('40000', `a${'!'.repeat(k)}`));
    const withDuplicate = Buffer.concat([entry('100644', 'a'), ...between, entry('40000', 'a')]);
    expect(() => scanTree('t', withDuplicate)).toThrow(/duplicate entry "a"/u);
    const withoutDuplicate = Buffer.concat([entry('100644', 'a'), ...between, entry('40000', 'b')]);
    expect(scanTree('t', withoutDuplicate).count).toBe(302);
  });
});

describe('the raw tree diff', () => {
  it('lists exactly what git diff-tree lists, in index order, both ways, and the streamed walk agrees', async () => {
    const { repo: t, base, head } = makeSwapRepo();
    try {
      const repo = await openRepository({ dir: t.dir, targetBranch: 'main' });
      for (const [from, to] of [
        [base, head],
        [head, base],
      ] as const) {
        const fields = t
          .gitRaw('diff-tree', '-r', '--no-renames', '-z', from, to)
          .split('\0')
          .filter((s) => s !== '');
        const native: TreeChange[] = [];
        for (let k = 0; k < fields.length; k += 2) {
          const [oldMode, newMode, oldOid, newOid] = (fields[k] as string).slice(1).split(' ') as [string, string, string, string];
          const zero = /^0+$/u;
          native.push({
            path: fields[k + 1] as string,
            old: zero.test(oldMode) ? null : { mode: parseInt(oldMode, 8), oid: oldOid },
            new: zero.test(newMode) ? null : { mode: parseInt(newMode, 8), oid: newOid },
          });
        }
        const listed = await diffTrees(repo.objects, from, to);
        expect(listed).toEqual(native);
        const streamed: TreeChange[] = [];
        await forEachTreeChange(repo.objects, from, to, (change) => {
          streamed.push(change);
        });
        expect(streamed).toEqual(native);
      }
    } finally {
      t.cleanup();
    }
  });
});
