// Builds native/audit-chain.c, the SQLite extension of the audit verifier's fast path, into
// dist/native/audit-chain.so (see that file's header for what it does and why it is C).
//
// It is compiled with the machine's C compiler against SQLite's extension header as better-sqlite3 ships it
// and the OpenSSL headers of the Node that runs this build (its SHA-256 symbols are resolved from that Node
// when SQLite loads the file). Where there is no compiler, no headers or not Linux, nothing is built and the
// verifier keeps its JavaScript path, which gives the same verdicts more slowly; the reason is printed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Where the extension is built, relative to the repository root. */
export const AUDIT_CHAIN_OUT = 'dist/native/audit-chain.so';
/** Its source, relative to the repository root. */
export const AUDIT_CHAIN_SOURCE = 'native/audit-chain.c';

/**
 * Compiles the extension into `out`. Returns null when it was built, or the reason it was not.
 * @param {string} root the repository root
 * @param {string} out the file to write
 * @returns {string | null}
 */
export function buildAuditChain(root, out = join(root, AUDIT_CHAIN_OUT)) {
  if (process.platform !== 'linux') return `not built on ${process.platform} (Linux only for now)`;
  const nodeInclude = join(dirname(process.execPath), '..', 'include', 'node');
  const sqliteInclude = join(root, 'node_modules', 'better-sqlite3', 'deps', 'sqlite3');
  if (!existsSync(join(nodeInclude, 'openssl', 'sha.h'))) return `no OpenSSL headers of this Node in ${nodeInclude}`;
  if (!existsSync(join(sqliteInclude, 'sqlite3ext.h'))) return `no sqlite3ext.h in ${sqliteInclude}`;
  const compiler = process.env.CC || 'cc';
  mkdirSync(dirname(out), { recursive: true });
  const partial = `${out}.${process.pid}.tmp`;
  const args = [
    '-O2', '-fPIC', '-shared', '-std=c99', '-Wall', '-Wextra', '-Werror',
    // SHA256_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP, which is slower per call here.
    '-Wno-deprecated-declarations',
    // Node's headers before the system's: the symbols come from this Node's OpenSSL.
    '-I', nodeInclude, '-I', sqliteInclude,
    '-o', partial, join(root, AUDIT_CHAIN_SOURCE),
  ];
  const result = spawnSync(compiler, args, { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    rmSync(partial, { force: true });
    return `${compiler} failed: ${result.error?.message ?? result.stderr.trim()}`;
  }
  renameSync(partial, out);
  return null;
}
