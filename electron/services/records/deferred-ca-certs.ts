/**
 * NODE_EXTRA_CA_CERTS, applied when the CLI opens its first TLS connection instead of at every start.
 *
 * Node 20 reads the file named by NODE_EXTRA_CA_CERTS, and builds its whole root store around it, before
 * it runs any script: on a machine whose variable names the system bundle (/etc/ssl/certs, 144
 * certificates) that is 48 ms of an 80 ms start, paid by `gatehouse --version` and by the CI gate alike,
 * though the only TLS the CLI ever speaks is `gatehouse sync` to an https remote.
 *
 * So the built CLI's launcher (the sh lines at the top of dist/cli/gatehouse.cjs, build/build.mjs) moves
 * the variable to GATEHOUSE_DEFERRED_EXTRA_CA_CERTS before it starts Node. `takeDeferredExtraCaCerts`
 * (the CLI's first step) puts NODE_EXTRA_CA_CERTS back for the processes the CLI starts, and keeps the
 * file for `deferredCaHttpsAgent`: an https agent that trusts Node's bundled roots plus that file, which
 * is what NODE_EXTRA_CA_CERTS means ("the well known root CAs are extended with the extra certificates").
 * As Node does at start, an unreadable file is a warning, and the bundled roots alone are trusted.
 *
 * The note lives in a process-wide symbol, not a module variable: the built CLI is several bundles
 * (an entry and one per command), each with its own copy of this module. Nothing here runs in the
 * desktop app, whose Node reads the variable itself.
 */
import type { Agent } from 'node:https';

/** The variable the launcher moves NODE_EXTRA_CA_CERTS to. */
export const DEFERRED_CA_VARIABLE = 'GATEHOUSE_DEFERRED_EXTRA_CA_CERTS';

const DEFERRED_FILE = Symbol.for('gatehouse.deferred-extra-ca-certs');
type Holder = { [DEFERRED_FILE]?: string };

/**
 * Takes the deferred variable out of `env` and puts NODE_EXTRA_CA_CERTS back as it was, remembering the
 * file for this process's own TLS connections. Without the launcher (`node gatehouse.cjs`), does nothing.
 */
export function takeDeferredExtraCaCerts(env: NodeJS.ProcessEnv = process.env): void {
  const file = env[DEFERRED_CA_VARIABLE];
  if (file === undefined) return;
  delete env[DEFERRED_CA_VARIABLE];
  if (file === '') {
    delete env['NODE_EXTRA_CA_CERTS'];
    return;
  }
  env['NODE_EXTRA_CA_CERTS'] = file;
  (globalThis as Holder)[DEFERRED_FILE] = file;
}

/** The file whose certificates Node did not load at start because the launcher deferred them, if any. */
export function deferredExtraCaCertsFile(): string | undefined {
  return (globalThis as Holder)[DEFERRED_FILE];
}

let agent: Promise<Agent | undefined> | undefined;

/**
 * An https agent trusting Node's bundled roots and the deferred file, or undefined when nothing was
 * deferred (or the file cannot be read: then the default agent, with a warning as Node gives at start).
 */
export function deferredCaHttpsAgent(): Promise<Agent | undefined> {
  agent ??= (async () => {
    const file = deferredExtraCaCertsFile();
    if (file === undefined) return undefined;
    const [{ Agent: HttpsAgent }, { rootCertificates }, { readFileSync }] = await Promise.all([import('node:https'), import('node:tls'), import('node:fs')]);
    let extra: string;
    try {
      extra = readFileSync(file, 'utf8');
    } catch (error) {
      process.emitWarning(`Ignoring extra certs from \`${file}\`, load failed: ${(error as Error).message}`);
      return undefined;
    }
    return new HttpsAgent({ ca: [...rootCertificates, extra] });
  })();
  return agent;
}
