/**
 * The built CLI's launcher moves NODE_EXTRA_CA_CERTS aside so Node 20 does not parse it at every start
 * (electron/services/records/deferred-ca-certs.ts); `gatehouse sync` must still trust it. Against a real
 * https remote (git http-backend behind a TLS server whose certificate an own CA signed, made here with
 * openssl), run through the launcher exactly as `node_modules/.bin/gatehouse` is.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORDS_REF } from '../../../electron/services/records';
import { DEFERRED_CA_VARIABLE, deferredExtraCaCertsFile, takeDeferredExtraCaCerts } from '../../../electron/services/records/deferred-ca-certs';
import { approve, git, makeTrustedRepo, openWorkstation, PASS, propose, serveGitRemote } from './harness';

const root = join(__dirname, '..', '..', '..');
const cli = join(root, 'dist', 'cli', 'gatehouse.cjs');

let home: string;
let server: ChildProcess;
let url: string;
let dataDir: string;
let repositoryId: string;
let caFile: string;
const cleanups: Array<() => void> = [];

function openssl(cwd: string, ...args: string[]): void {
  const result = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${result.stderr}`);
}

/** A CA of our own and a certificate for 127.0.0.1 that it signed. */
function makeCertificates(dir: string): { ca: string; key: string; cert: string } {
  openssl(dir, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Gatehouse test CA');
  openssl(dir, 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
  openssl(dir, 'x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext');
  return { ca: join(dir, 'ca.pem'), key: join(dir, 'server.key'), cert: join(dir, 'server.pem') };
}


/** The environment without NODE_EXTRA_CA_CERTS (the machine's own may be set), plus `extra`. */
function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env };
  delete base['NODE_EXTRA_CA_CERTS'];
  delete base[DEFERRED_CA_VARIABLE];
  return { ...base, ...extra };
}

/** Runs the built CLI through its launcher (the file itself, as node_modules/.bin/gatehouse runs it). */
function launched(args: ReadonlyArray<string>, extra: Record<string, string>) {
  return spawnSync(cli, [...args], { cwd: home, encoding: 'utf8', env: env(extra), timeout: 120_000 });
}

function sync(extra: Record<string, string>) {
  const result = launched(['--data-dir', dataDir, 'sync', '--repo', repositoryId, '--remote', url, '--as', 'lee', '--json'], { GATEHOUSE_PASSPHRASE: PASS.lee as string, ...extra });
  return { status: result.status, stderr: result.stderr, body: JSON.parse(result.stdout || '{}') as { ok?: boolean; url?: string; pushed?: boolean; message?: string } };
}

beforeAll(async () => {
  // Builds what is out of date (nothing, under `npm test`, which builds first).
  const built = spawnSync(process.execPath, [join(root, 'build', 'build.mjs')], { cwd: root, encoding: 'utf8', timeout: 600_000 });
  expect(built.status, built.stderr).toBe(0);
  home = mkdtempSync(join(tmpdir(), 'gh-deferred-ca-'));
  const certs = makeCertificates(home);
  caFile = certs.ca;
  const desk = await openWorkstation();
  dataDir = desk.dataDir;
  await desk.value('app:createDemo', {});
  const origin = makeTrustedRepo(JSON.stringify(desk.core.context.operators.exportTrustList(), null, 2));
  cleanups.push(origin.cleanup);
  git(home, 'clone', '-q', '--bare', origin.dir, join(home, 'remote.git'));
  git(join(home, 'remote.git'), 'config', 'http.receivepack', 'true');
  const remote = await serveGitRemote(home, { key: certs.key, cert: certs.cert });
  server = remote.child;
  url = `https://127.0.0.1:${remote.port}/remote.git`;
  const clone = join(home, 'desk');
  git(home, 'clone', '-q', join(home, 'remote.git'), clone);
  git(clone, 'remote', 'set-url', 'origin', url);
  await desk.as('lee');
  repositoryId = ((await desk.value('repo:add', { path: clone, targetBranch: 'main', proposalPattern: 'refs/heads/proposals/*' })) as { id: string }).id;
  propose(clone, 'over-tls', { 'app.py': 'def total(xs):\n    return sum(sorted(xs))\n' });
  await approve(desk, repositoryId, 'over-tls', 'lee');
  await desk.close();
}, 600_000);

afterAll(() => {
  server?.kill();
  for (const c of cleanups) c();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('NODE_EXTRA_CA_CERTS through the CLI launcher', () => {
  it('is not read by Node at start: a missing file draws no warning through the launcher, and Node’s own without it', () => {
    const missing = { NODE_EXTRA_CA_CERTS: join(home, 'no-such-bundle.pem') };
    const viaLauncher = launched(['--version'], missing);
    expect(viaLauncher.status).toBe(0);
    expect(viaLauncher.stderr).toBe('');
    const direct = spawnSync(process.execPath, [cli, '--version'], { encoding: 'utf8', env: env(missing) });
    expect(direct.status).toBe(0);
    expect(direct.stderr).toMatch(/Ignoring extra certs from/u);
  });

  it('runs through a node_modules/.bin symlink as npm installs it, and finds its command bundles', () => {
    const bin = join(home, 'project', 'node_modules', '.bin');
    mkdirSync(bin, { recursive: true });
    symlinkSync(cli, join(bin, 'gatehouse'));
    const result = spawnSync(join(bin, 'gatehouse'), ['audit', 'verify', '--jsonl', join(home, 'no-such-export.jsonl'), '--json'], {
      cwd: join(home, 'project'),
      encoding: 'utf8',
      env: env({ NODE_EXTRA_CA_CERTS: caFile }),
    });
    expect(result.status).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, code: 'NOT_FOUND' });
  });

  it('a remote whose CA is only in NODE_EXTRA_CA_CERTS is refused without it and trusted with it', () => {
    const untrusted = sync({});
    expect(untrusted.status).not.toBe(0);
    expect(untrusted.body.ok).toBe(false);
    expect(untrusted.body.message).toMatch(/certificate/iu);
    expect(spawnSync('git', ['--git-dir', join(home, 'remote.git'), 'rev-parse', '--verify', '-q', RECORDS_REF]).status).not.toBe(0);

    const trusted = sync({ NODE_EXTRA_CA_CERTS: caFile });
    expect(trusted.stderr).toBe('');
    expect(trusted.status).toBe(0);
    expect(trusted.body).toMatchObject({ url, pushed: true });
    // The decision really crossed: the remote holds the record log now.
    expect(spawnSync('git', ['--git-dir', join(home, 'remote.git'), 'rev-parse', '--verify', '-q', RECORDS_REF]).status).toBe(0);
  }, 240_000);

  it('an unreadable file is a warning, as Node gives at start, and only the bundled roots are trusted', () => {
    const result = sync({ NODE_EXTRA_CA_CERTS: join(home, 'no-such-bundle.pem') });
    expect(result.stderr).toMatch(/Ignoring extra certs from `.*no-such-bundle\.pem`, load failed/u);
    expect(result.status).not.toBe(0);
    expect(result.body.message).toMatch(/certificate/iu);
  }, 240_000);

  it('the processes the CLI starts see NODE_EXTRA_CA_CERTS as it was, not the launcher’s variable', () => {
    const moved: NodeJS.ProcessEnv = { NODE_EXTRA_CA_CERTS: '', [DEFERRED_CA_VARIABLE]: '/etc/team/ca bundle.pem' };
    const symbol = Symbol.for('gatehouse.deferred-extra-ca-certs');
    try {
      takeDeferredExtraCaCerts(moved);
      expect(moved).toEqual({ NODE_EXTRA_CA_CERTS: '/etc/team/ca bundle.pem' });
      expect(deferredExtraCaCertsFile()).toBe('/etc/team/ca bundle.pem');
      const unset: NodeJS.ProcessEnv = { NODE_EXTRA_CA_CERTS: '', [DEFERRED_CA_VARIABLE]: '' };
      takeDeferredExtraCaCerts(unset);
      expect(unset).toEqual({});
    } finally {
      delete (globalThis as Record<symbol, unknown>)[symbol];
    }
  });
});
