/**
 * Builds the demo workspace on the spot: a real git repository (made with isomorphic-git, no hooks)
 * holding a small Python service, its policy and trust list on the target branch, the demo operators,
 * and four proposals imported exactly as an agent's change sets would be.
 */
import git from 'isomorphic-git';
import fs from 'node:fs';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';
import { importChangeSet, openRepository } from '../../services/git';
import { serializeTrustList } from '../../services/identity';
import { defaultPolicyYaml, POLICY_PATH, TRUST_PATH } from '../../services/policy';
import type { CoreContext } from '../context';
import { registerOperator, type OperatorDeps } from '../operators';
import { repositoryView } from '../repositories';
import { demoAgent, demoBaseFiles, demoOperators, demoProposals } from './content';

/** The demo policy: the defaults, with Python test and benchmark commands and room to try applies. */
export function demoPolicyYaml(): string {
  // The regression statistics (10 pairs, rank test, 10 % minimum effect) keep noise on laptops and
  // shared CI runners from reading as a regression, so the demo keeps the default threshold.
  return defaultPolicyYaml()
    .replace(/testCommand: .*\n/, 'testCommand: ["python3", "-m", "unittest", "discover", "-s", "tests", "-q"]\n')
    .replace(/# benchmarkCommand: .*\n/, 'benchmarkCommand: ["python3", "bench.py"]\n')
    .replace(/appliesPerHour: 1 /, 'appliesPerHour: 5 ');
}

/** Creates the demo workspace; refused once operators exist unless a lead asks. */
export async function createDemoWorkspace(ctx: CoreContext, operatorDeps: OperatorDeps) {
  const existing = ctx.operators.list();
  if (existing.length > 0) {
    const session = ctx.sessions.current();
    if (!session || session.role !== 'lead') {
      throw new GatehouseError(ErrorCode.ForbiddenRole, 'the demo workspace can be created on first run, or by an unlocked lead');
    }
  }
  let dir = join(ctx.layout.workspacesDir, 'pricing-service');
  for (let n = 2; existsSync(dir); n += 1) dir = join(ctx.layout.workspacesDir, `pricing-service-${n}`);
  mkdirSync(dir, { recursive: true });

  const operators: { name: string; role: string; passphrase: string }[] = [];
  for (const op of demoOperators) {
    if (ctx.operators.findByName(op.name)) continue;
    await registerOperator(operatorDeps, { name: op.name, role: op.role, passphrase: op.passphrase, email: `${op.name}@demo.gatehouse.invalid` }, { demo: true, firstRun: existing.length === 0 });
    operators.push({ ...op });
  }

  await git.init({ fs, dir, defaultBranch: 'main' });
  const files: Record<string, string> = {
    ...demoBaseFiles,
    [POLICY_PATH]: demoPolicyYaml(),
    [TRUST_PATH]: serializeTrustList(ctx.operators.exportTrustList()),
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
    await git.add({ fs, dir, filepath: path });
  }
  const when = Math.floor(ctx.clock.now().getTime() / 1000) - 3600;
  await git.commit({
    fs,
    dir,
    message: 'pricing-service: initial import\n',
    author: { name: 'Dana Maintainer', email: 'dana@demo.gatehouse.invalid', timestamp: when, timezoneOffset: 0 },
  });

  const record = await ctx.registry.add({ path: dir, targetBranch: 'main' });
  ctx.audit.record({ action: 'repository.added', subject: `repository:${record.id}`, payload: { path: record.path, targetBranch: 'main', demo: true } });
  const repo = await openRepository({ dir: record.path, targetBranch: 'main', clock: ctx.clock });
  for (const proposal of demoProposals) {
    const changes = proposal.changes.map((c) => ({
      path: c.path,
      original: demoBaseFiles[c.path] ?? null,
      modified: c.modified,
    }));
    const result = await importChangeSet(repo, {
      name: proposal.name,
      changeSet: {
        title: proposal.title,
        rationale: proposal.rationale,
        agent: demoAgent,
        safetyScore: proposal.agentSafetyScore,
        riskLevel: proposal.agentRiskLevel,
        changes,
      },
    });
    ctx.audit.record({
      action: 'proposal.discovered',
      subject: `proposal:${record.id}/${result.name}`,
      actor: demoAgent.name,
      role: 'agent',
      payload: { source: 'change-set', head: result.commitOid, files: result.files, demo: true },
    });
  }
  ctx.events.emit('repo:changed', { repositoryId: record.id, what: 'demo workspace created' });
  return { repositoryId: record.id, path: repositoryView(record).path, operators };
}
