/**
 * Where Gatehouse keeps its data, the same for the desktop app, the CLI and the Chromium bridge.
 *
 * Order: an explicit `--data-dir`, then `GATEHOUSE_DATA_DIR`, then the platform's per-user application
 * data folder under the product name — the same folder Electron's `app.getPath('userData')` returns
 * for an app named "Gatehouse", so each face sees what the others did.
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The product name, which names the per-user data folder. */
export const PRODUCT_NAME = 'Gatehouse';

/** The default per-user data directory for this platform (Electron's userData for our product name). */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), PRODUCT_NAME);
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', PRODUCT_NAME);
  return join(env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.length > 0 ? env.XDG_CONFIG_HOME : join(homedir(), '.config'), PRODUCT_NAME);
}

/** Resolves the data directory from an explicit choice, the environment, or the platform default. */
export function resolveDataDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit !== undefined && explicit.length > 0) return resolve(explicit);
  const fromEnv = env.GATEHOUSE_DATA_DIR;
  if (fromEnv !== undefined && fromEnv.length > 0) return resolve(fromEnv);
  return defaultDataDir(env);
}

/** The files and folders inside a data directory. */
export interface DataLayout {
  readonly root: string;
  /** App state: repositories, operators, approvals. */
  readonly appDb: string;
  /** The audit log, its own file so an auditor can copy it alone. */
  readonly auditDb: string;
  /** Signed audit chain heads, kept outside the database. */
  readonly headsDir: string;
  /** Workstation and operator key material. */
  readonly keysDir: string;
  /** Audit exports and approval exports. */
  readonly exportsDir: string;
  /** The workspace policy used when a repository's target branch has none. */
  readonly workspacePolicy: string;
  /** Repositories Gatehouse creates itself (the demo workspace). */
  readonly workspacesDir: string;
  /** Temporary trees for sandbox runs. */
  readonly tmpDir: string;
  /** The Chromium console's browser profile (`npm start` without Electron): its HTTP and code caches. */
  readonly browserProfileDir: string;
}

/** Names the files of a data directory, creating its folders (0700: it holds keys). */
export function prepareDataDir(root: string): DataLayout {
  const layout: DataLayout = {
    root,
    appDb: join(root, 'gatehouse.sqlite'),
    auditDb: join(root, 'audit.sqlite'),
    headsDir: join(root, 'audit-heads'),
    keysDir: join(root, 'keys'),
    exportsDir: join(root, 'exports'),
    workspacePolicy: join(root, 'policy.yaml'),
    workspacesDir: join(root, 'workspaces'),
    tmpDir: join(root, 'tmp'),
    browserProfileDir: join(root, 'chromium-profile'),
  };
  for (const dir of [root, layout.headsDir, layout.keysDir, layout.exportsDir, layout.workspacesDir, layout.tmpDir]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  return layout;
}
