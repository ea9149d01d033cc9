/**
 * Shared set-up for the sandbox integration tests: is the real engine there, is the image built,
 * temp workspaces, and listing the containers a sandbox instance left behind.
 */
import Dockerode from 'dockerode';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SANDBOX_IMAGE, SandboxLabel } from '../../../electron/services/sandbox/container-spec';

/** Whether the engine answered, and why not when it did not. */
export interface EngineCheck {
  readonly reachable: boolean;
  readonly reason: string;
}

/** Pings the engine (DOCKER_HOST honoured) within a few seconds. */
export async function checkEngine(docker: Dockerode): Promise<EngineCheck> {
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 5 s')), 5_000).unref()),
    ]);
    return { reachable: true, reason: '' };
  } catch (error) {
    return { reachable: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Decides whether this file's tests run: skip loudly without an engine, fail when CI requires one.
 *
 * Returns true when the tests should be skipped.
 */
export function skipWithoutEngine(engine: EngineCheck, suite: string): boolean {
  if (engine.reachable) return false;
  if (process.env.GATEHOUSE_REQUIRE_DOCKER === '1') return false;
  console.warn(`SKIPPED ${suite}: no reachable Docker Engine (${engine.reason}); run build/ensure-docker.sh, or set GATEHOUSE_REQUIRE_DOCKER=1 to fail instead`);
  return true;
}

/** Throws when CI requires an engine (GATEHOUSE_REQUIRE_DOCKER=1) and there is none. */
export function requireEngine(engine: EngineCheck): void {
  if (!engine.reachable) throw new Error(`GATEHOUSE_REQUIRE_DOCKER=1 but no reachable Docker Engine: ${engine.reason}`);
}

/** Builds the default sandbox image with build/sandbox-image/build.sh when it is missing. */
export async function ensureImage(docker: Dockerode, image = DEFAULT_SANDBOX_IMAGE): Promise<string> {
  try {
    return (await docker.getImage(image).inspect()).Id;
  } catch {
    const script = fileURLToPath(new URL('../../../build/sandbox-image/build.sh', import.meta.url));
    const built = spawnSync(script, ['--tag', image], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 15 * 60_000 });
    if (built.status !== 0) throw new Error(`build/sandbox-image/build.sh failed (exit ${String(built.status)})`);
    return (await docker.getImage(image).inspect()).Id;
  }
}

/** A temp directory the sandbox user can read (mkdtemp makes it 0700), with the given files. */
export function makeWorkspace(files: Readonly<Record<string, string>> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'gh-sandbox-'));
  chmodSync(dir, 0o755);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content, { mode: 0o644 });
  return dir;
}

/** Removes a workspace made by {@link makeWorkspace}. */
export function removeWorkspace(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Containers (in any state) carrying a sandbox instance's label. */
export async function containersOf(docker: Dockerode, instanceId: string): Promise<ReadonlyArray<Dockerode.ContainerInfo>> {
  return docker.listContainers({ all: true, filters: { label: [`${SandboxLabel.instance}=${instanceId}`] } });
}
