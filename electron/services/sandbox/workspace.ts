/**
 * Checking a host directory before it is bind-mounted (read-only) into a sandbox.
 *
 * The only host path a sandbox ever sees is the workspace, so this is where a socket or a system
 * directory is refused: a read-only mount does not stop connect(2) on a Unix socket inside it.
 */
import { chmod, lstat, opendir, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, sep } from 'node:path';
import { ErrorCode } from '../../../shared/model/result';
import { SandboxError } from './errors';

/** Host trees that are never a workspace (they hold sockets, devices or the host's configuration). */
const SYSTEM_TREES = ['/proc', '/sys', '/dev', '/run', '/var/run', '/var/lib/docker', '/var/lib/containerd', '/etc', '/boot'];

function within(path: string, tree: string): boolean {
  return path === tree || path.startsWith(tree.endsWith(sep) ? tree : tree + sep);
}

/**
 * Resolves and checks a workspace directory; returns its real path.
 *
 * Refuses (ErrorCode.Refused): a relative path, `/`, a system tree, anything that is not a directory,
 * and a tree holding a socket, FIFO or device node (symlinks are not followed; inside the container
 * they resolve within the container). InvalidInput when uid 65534 could not read it (mode o+rx).
 */
export async function checkWorkspace(workspaceDir: string): Promise<string> {
  if (typeof workspaceDir !== 'string' || workspaceDir === '' || workspaceDir.includes('\0')) {
    throw new SandboxError(ErrorCode.InvalidInput, 'the workspace must be a directory path');
  }
  if (!isAbsolute(workspaceDir)) throw new SandboxError(ErrorCode.Refused, `the workspace must be an absolute path: ${workspaceDir}`);
  let real: string;
  try {
    real = await realpath(workspaceDir);
  } catch {
    throw new SandboxError(ErrorCode.NotFound, `the workspace does not exist: ${workspaceDir}`);
  }
  if (real === '/' || SYSTEM_TREES.some((tree) => within(real, tree))) {
    throw new SandboxError(ErrorCode.Refused, `refused to mount a system directory into a sandbox: ${real}`);
  }
  const info = await stat(real);
  if (!info.isDirectory()) throw new SandboxError(ErrorCode.Refused, `the workspace is not a directory: ${real}`);
  // The sandbox runs as 65534, which is neither the owner nor in the group: "other" must read and enter.
  if ((info.mode & 0o005) !== 0o005) {
    throw new SandboxError(
      ErrorCode.InvalidInput,
      `the workspace ${real} is not readable by the sandbox user 65534 (mode ${(info.mode & 0o777).toString(8)}; needs o+rx)`,
    );
  }
  await refuseSpecialFiles(real);
  return real;
}

async function refuseSpecialFiles(root: string): Promise<void> {
  const pending = [root];
  while (pending.length > 0) {
    const dir = pending.pop() as string;
    const handle = await opendir(dir);
    for await (const entry of handle) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) pending.push(path);
      else if (entry.isSocket() || entry.isFIFO() || entry.isBlockDevice() || entry.isCharacterDevice()) {
        const kind = entry.isSocket() ? 'socket' : entry.isFIFO() ? 'FIFO' : 'device node';
        throw new SandboxError(ErrorCode.Refused, `refused to mount a workspace holding a ${kind}: ${path}`);
      }
    }
  }
}

/**
 * Makes a tree the sandbox created readable by the sandbox user: o+r on files, o+rx on directories
 * (and o+x where the owner may execute). Symlinks are left alone; nothing gains write permission.
 */
export async function makeReadableBySandbox(root: string): Promise<void> {
  const pending = [root];
  while (pending.length > 0) {
    const dir = pending.pop() as string;
    await chmod(dir, ((await lstat(dir)).mode & 0o7777) | 0o005);
    const handle = await opendir(dir);
    for await (const entry of handle) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) pending.push(path);
      else if (entry.isFile()) {
        const mode = (await lstat(path)).mode & 0o7777;
        await chmod(path, mode | 0o004 | (mode & 0o100 ? 0o001 : 0));
      }
    }
  }
}
