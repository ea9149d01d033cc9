/** Use cases behind `app:info` and `app:health`. */
import { accessSync, constants } from 'node:fs';
import type { AppInfo, DockerStatus } from '../../shared/ipc/channels/app';
import packageJson from '../../package.json';

/** Which shell hosts the renderer, and its runtime versions. */
export interface ShellInfo {
  readonly shell: AppInfo['shell'];
  readonly electron: string | null;
  readonly chromium: string | null;
}

/** Builds the `app:info` answer. */
export async function appInfo(
  dataDir: string,
  shell: ShellInfo,
  probeDocker: () => Promise<DockerStatus>,
): Promise<AppInfo> {
  return {
    name: packageJson.productName,
    version: packageJson.version,
    dataDir,
    shell: shell.shell,
    versions: { electron: shell.electron, chromium: shell.chromium, node: process.versions.node },
    docker: await probeDocker(),
  };
}

/** One named self-check. */
export interface HealthProbe {
  readonly name: string;
  run(): string;
}

/** Runs self-checks; each failure is reported, never thrown. */
export function appHealth(dataDir: string, probes: ReadonlyArray<HealthProbe>) {
  const checks = [
    {
      name: 'data directory writable',
      run: () => {
        accessSync(dataDir, constants.W_OK);
        return dataDir;
      },
    },
    ...probes,
  ].map((probe) => {
    try {
      return { name: probe.name, ok: true, detail: probe.run() };
    } catch (error) {
      return { name: probe.name, ok: false, detail: error instanceof Error ? error.message : String(error) };
    }
  });
  return { ok: checks.every((c) => c.ok), checks };
}
