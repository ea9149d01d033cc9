/**
 * Turning validated sandbox limits into the Docker Engine's container create body.
 *
 * Pure: no engine, no file system. Every setting that contains the untrusted code is decided here, so
 * one unit test and one `docker inspect` test can check all of them.
 */
import type Dockerode from 'dockerode';
import { SandboxLimits, type SandboxSide } from '../../../shared/model/sandbox';
import { ErrorCode } from '../../../shared/model/result';
import { SandboxError } from './errors';

/** The image Gatehouse builds with build/sandbox-image/build.sh and runs when policy names none. */
export const DEFAULT_SANDBOX_IMAGE = 'gatehouse/sandbox:1';

/** Where the revision's tree is mounted, read-only. */
export const WORKSPACE_PATH = '/workspace';

/** HOME inside the sandbox: a tmpfs of its own, so tools that write caches there do not hit the read-only root. */
export const SANDBOX_HOME = '/home/sandbox';

/** The user every sandboxed process runs as: Debian's nobody/nogroup, which owns nothing in the image. */
export const SANDBOX_USER = '65534:65534';

/** Labels on every container Gatehouse starts; `cleanupStale` and the tests find ours by them. */
export const SandboxLabel = {
  /** Present (value "1") on every Gatehouse sandbox container. */
  sandbox: 'org.gatehouse.sandbox',
  /** The sandbox service instance that started it (one per `createSandbox`). */
  instance: 'org.gatehouse.instance',
  /** `<hostname>:<pid>` of the process that started it, so a crash's leftovers can be told from live runs. */
  owner: 'org.gatehouse.owner',
  /** The run id. */
  runId: 'org.gatehouse.run-id',
  /** base or head, when the run tested one side of a proposal. */
  side: 'org.gatehouse.side',
  /** When the run was created (ISO 8601, from the service's clock). */
  createdAt: 'org.gatehouse.created-at',
} as const;

/** Docker refuses a memory limit under 6 MiB (linuxMinMemory); say so before the engine does. */
export const MIN_MEMORY_MB = 6;

/** Docker's smallest CPU quota is 0.01 CPU. */
export const MIN_CPUS = 0.01;

const MiB = 1024 * 1024;

/** The create body for a Docker Engine container, with the fields Dockerode's types lack. */
export type SandboxCreateOptions = Dockerode.ContainerCreateOptions & {
  readonly HostConfig: Dockerode.HostConfig & {
    /** A private cgroup namespace hides the host's cgroup paths (API 1.41+). */
    readonly CgroupnsMode: 'private';
  };
};

/** Everything {@link containerSpec} needs besides the limits. */
export interface ContainerSpecInput {
  readonly runId: string;
  readonly instanceId: string;
  /** `<hostname>:<pid>` of this process. */
  readonly owner: string;
  /** The image id (`sha256:...`) resolved and checked before create: never a tag that could move. */
  readonly imageId: string;
  readonly command: ReadonlyArray<string>;
  /** Host directory holding the revision's tree; bind-mounted read-only at {@link WORKSPACE_PATH}. */
  readonly workspaceDir: string;
  readonly limits: SandboxLimits;
  readonly env?: Readonly<Record<string, string>>;
  readonly side?: SandboxSide;
  readonly createdAt: Date;
  /** CPUs the engine has; the CPU quota is clamped to it because Docker refuses more. */
  readonly engineCpus?: number;
}

/**
 * Parses policy limits, refusing anything unlimited or outside what Docker accepts.
 *
 * `SandboxLimits` already refuses 0, negatives, Infinity and RLIM_INFINITY; this adds the engine's own
 * floors so a bad policy fails here with a clear message, not at container create.
 */
export function parseSandboxLimits(input: unknown): SandboxLimits {
  const parsed = SandboxLimits.safeParse(input ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'limits'}: ${issue.message}`);
    throw new SandboxError(ErrorCode.InvalidInput, `invalid sandbox limits: ${problems.join('; ')}`, { problems });
  }
  const limits = parsed.data;
  if (limits.memoryMb < MIN_MEMORY_MB) {
    throw new SandboxError(ErrorCode.InvalidInput, `invalid sandbox limits: memoryMb must be at least ${MIN_MEMORY_MB} (Docker's minimum)`);
  }
  if (limits.cpus < MIN_CPUS) {
    throw new SandboxError(ErrorCode.InvalidInput, `invalid sandbox limits: cpus must be at least ${MIN_CPUS} (Docker's minimum)`);
  }
  return limits;
}

/** Environment variable names a command may be given (POSIX portable names). */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Checks a command and environment before they reach the engine; throws InvalidInput. */
export function validateCommand(command: ReadonlyArray<string>, env: Readonly<Record<string, string>> = {}): void {
  if (!Array.isArray(command) || command.length === 0) {
    throw new SandboxError(ErrorCode.InvalidInput, 'the sandbox command must be a non-empty list of arguments');
  }
  if (command.length > 4096) throw new SandboxError(ErrorCode.InvalidInput, 'the sandbox command has more than 4096 arguments');
  for (const arg of command) {
    if (typeof arg !== 'string') throw new SandboxError(ErrorCode.InvalidInput, 'every sandbox command argument must be a string');
    if (arg.includes('\0')) throw new SandboxError(ErrorCode.InvalidInput, 'a sandbox command argument contains a NUL byte');
  }
  if (command[0] === '') throw new SandboxError(ErrorCode.InvalidInput, 'the sandbox command must name a program');
  for (const [name, value] of Object.entries(env)) {
    if (!ENV_NAME.test(name)) throw new SandboxError(ErrorCode.InvalidInput, `invalid environment variable name: ${JSON.stringify(name)}`);
    if (typeof value !== 'string' || value.includes('\0')) {
      throw new SandboxError(ErrorCode.InvalidInput, `environment variable ${name} must be a string without NUL bytes`);
    }
  }
}

/**
 * The tmpfs mounts: /tmp and HOME, each bounded by `tmpfsMb` (tmpfs pages also count against the
 * memory limit, so the two together can never exceed it).
 *
 * /tmp keeps `exec`: noexec buys nothing against a hostile process (any interpreter or the dynamic
 * loader runs a non-executable file) and breaks test runners that build and run helpers in /tmp.
 * HOME only holds caches and config, so it is noexec. Both are nosuid,nodev.
 */
export function tmpfsMounts(limits: SandboxLimits): Record<string, string> {
  const size = `size=${limits.tmpfsMb}m`;
  return {
    '/tmp': `rw,exec,nosuid,nodev,${size},mode=1777`,
    [SANDBOX_HOME]: `rw,noexec,nosuid,nodev,${size},mode=0700,uid=65534,gid=65534`,
  };
}

/** Builds the container create body; every containment setting of a sandboxed run is here. */
export function containerSpec(input: ContainerSpecInput): SandboxCreateOptions {
  const { limits } = input;
  const memoryBytes = limits.memoryMb * MiB;
  const cpus = input.engineCpus !== undefined && input.engineCpus > 0 ? Math.min(limits.cpus, input.engineCpus) : limits.cpus;
  const fsizeBytes = limits.fsizeMb * MiB;
  const labels: Record<string, string> = {
    [SandboxLabel.sandbox]: '1',
    [SandboxLabel.instance]: input.instanceId,
    [SandboxLabel.owner]: input.owner,
    [SandboxLabel.runId]: input.runId,
    [SandboxLabel.createdAt]: input.createdAt.toISOString(),
  };
  if (input.side !== undefined) labels[SandboxLabel.side] = input.side;
  const env = { HOME: SANDBOX_HOME, TMPDIR: '/tmp', ...input.env };
  return {
    Image: input.imageId,
    // An image's own entrypoint would run before (or instead of) the command policy asked for.
    Entrypoint: [],
    Cmd: [...input.command],
    Env: Object.entries(env).map(([name, value]) => `${name}=${value}`),
    User: SANDBOX_USER,
    WorkingDir: WORKSPACE_PATH,
    Hostname: 'sandbox',
    Labels: labels,
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: false,
    Tty: false,
    NetworkDisabled: true,
    HostConfig: {
      NetworkMode: 'none',
      ReadonlyRootfs: true,
      Tmpfs: tmpfsMounts(limits),
      // Mounts, not Binds: "src:dst:ro" breaks on a path holding ':' or ','.
      Mounts: [
        {
          Type: 'bind',
          Source: input.workspaceDir,
          Target: WORKSPACE_PATH,
          ReadOnly: true,
          BindOptions: { Propagation: 'rprivate' },
        },
      ],
      CapDrop: ['ALL'],
      CapAdd: [],
      // Docker's default seccomp profile applies unless a seccomp= option says otherwise; never add one.
      SecurityOpt: ['no-new-privileges:true'],
      Privileged: false,
      Devices: [],
      DeviceCgroupRules: [],
      // memory+swap equal to memory: no swap, so the limit is the limit.
      Memory: memoryBytes,
      MemorySwap: memoryBytes,
      OomKillDisable: false,
      NanoCpus: Math.round(cpus * 1e9),
      PidsLimit: limits.pidsLimit,
      Ulimits: [
        { Name: 'nofile', Soft: limits.nofile, Hard: limits.nofile },
        { Name: 'core', Soft: 0, Hard: 0 },
        { Name: 'fsize', Soft: fsizeBytes, Hard: fsizeBytes },
      ],
      ShmSize: limits.tmpfsMb * MiB,
      IpcMode: 'private',
      CgroupnsMode: 'private',
      Dns: [],
      ExtraHosts: [],
      PublishAllPorts: false,
      RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
      // Removed by the launcher after the exit code and OOM flag are read.
      AutoRemove: false,
      // Output reaches us through attach, capped; the json-file driver would keep all of it on disk.
      LogConfig: { Type: 'none', Config: {} },
    },
  };
}

/**
 * Refuses a create body that would weaken containment; a last check before the engine sees it.
 *
 * {@link containerSpec} never builds such a body; this guards against a future edit that would.
 */
export function assertContained(spec: SandboxCreateOptions): void {
  const host = spec.HostConfig;
  const problems: string[] = [];
  if (host.Privileged) problems.push('privileged mode');
  if (host.NetworkMode !== 'none') problems.push(`network mode ${String(host.NetworkMode)}`);
  if (!host.ReadonlyRootfs) problems.push('writable root file system');
  if ((host.Devices as ReadonlyArray<unknown> | undefined)?.length) problems.push('devices');
  if ((host.CapAdd as ReadonlyArray<unknown> | undefined)?.length) problems.push('added capabilities');
  const secOpts = (host.SecurityOpt as ReadonlyArray<string> | undefined) ?? [];
  if (secOpts.some((o) => /^seccomp[=:]/i.test(o))) problems.push('a seccomp override');
  if (secOpts.some((o) => /^(apparmor|label)[=:]\s*(unconfined|disable)/i.test(o))) problems.push('an unconfined LSM profile');
  if (!secOpts.includes('no-new-privileges:true')) problems.push('missing no-new-privileges');
  if (!(host.CapDrop as ReadonlyArray<string> | undefined)?.includes('ALL')) problems.push('capabilities not dropped');
  if (host.Memory === undefined || host.Memory <= 0 || host.MemorySwap !== host.Memory) problems.push('memory not bounded');
  if (host.PidsLimit === undefined || host.PidsLimit <= 0) problems.push('pids not bounded');
  if (host.NanoCpus === undefined || host.NanoCpus <= 0) problems.push('CPU not bounded');
  if (spec.User !== SANDBOX_USER) problems.push(`user ${String(spec.User)}`);
  if (host.Binds?.length) problems.push('Binds (only the workspace mount is allowed)');
  for (const mount of host.Mounts ?? []) {
    if (mount.Type !== 'bind' || mount.Target !== WORKSPACE_PATH || !mount.ReadOnly) problems.push(`mount ${mount.Target}`);
    if (/\.sock$|docker\.sock|containerd/i.test(mount.Source)) problems.push(`socket mount ${mount.Source}`);
  }
  for (const ulimit of host.Ulimits ?? []) {
    if (ulimit.Soft === undefined || ulimit.Hard === undefined || ulimit.Soft < 0 || ulimit.Hard < 0) problems.push(`unlimited ${ulimit.Name}`);
  }
  if (problems.length > 0) {
    throw new SandboxError(ErrorCode.Refused, `refused to create a sandbox with ${problems.join(', ')}`, { problems });
  }
}
