/**
 * One apply of an approved revision in its own process, for the 50,000-file row of git.bench.ts: the
 * parent runs it under `/usr/bin/time -f %M` (peak RSS) next to `git merge` on an identical copy.
 * Usage: node --import tsx test/bench/git-apply-child.ts DIR PROPOSAL BASE HEAD TREE
 * Prints one JSON line: the apply's own wall time, the paths it changed, and this process's RSS before
 * the apply started (Node and the loaded modules) and at its end.
 */
import { applyRevision } from '../../electron/services/git/apply';
import { openRepository } from '../../electron/services/git/repository';

async function main(): Promise<void> {
  const [dir, proposal, baseOid, headOid, treeOid] = process.argv.slice(2);
  if (dir === undefined || proposal === undefined || baseOid === undefined || headOid === undefined || treeOid === undefined) {
    throw new Error('usage: git-apply-child.ts DIR PROPOSAL BASE HEAD TREE');
  }
  const rssBefore = process.memoryUsage().rss;
  const repo = await openRepository({ dir, targetBranch: 'main' });
  const start = performance.now();
  const result = await applyRevision(repo, { revision: { proposal, baseOid, headOid, treeOid } });
  const ms = performance.now() - start;
  const after = process.memoryUsage();
  const mb = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;
  process.stdout.write(
    `${JSON.stringify({ ms, changedPaths: result.changedPaths, mode: result.mode, rssBeforeMb: mb(rssBefore), rssAfterMb: mb(after.rss), heapTotalMb: mb(after.heapTotal), externalMb: mb(after.external) })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
