import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../../shared/model/result';
import { SandboxLimits } from '../../../../shared/model/sandbox';
import {
  assertContained,
  containerSpec,
  parseSandboxLimits,
  SANDBOX_HOME,
  SandboxLabel,
  validateCommand,
  WORKSPACE_PATH,
  type SandboxCreateOptions,
} from '../../../../electron/services/sandbox/container-spec';

const MiB = 1024 * 1024;

function spec(limits = SandboxLimits.parse({}), extra: Partial<Parameters<typeof containerSpec>[0]> = {}): SandboxCreateOptions {
  return containerSpec({
    runId: 'run-1',
    instanceId: 'instance-1',
    owner: 'host:42',
    imageId: `sha256:${'a'.repeat(64)}`,
    command: ['python3', '-m', 'unittest'],
    workspaceDir: '/tmp/gh-ws',
    limits,
    createdAt: new Date('2025-01-02T03:04:05Z'),
    ...extra,
  });
}

describe('parseSandboxLimits', () => {
  it('fills the safe defaults', () => {
    expect(parseSandboxLimits(undefined)).toEqual({
      memoryMb: 256,
      cpus: 1,
      pidsLimit: 128,
      timeoutSeconds: 120,
      outputBytes: 1024 * 1024,
      tmpfsMb: 64,
      nofile: 1024,
      fsizeMb: 64,
    });
  });

  it.each([
    [{ memoryMb: 0 }],
    [{ memoryMb: -1 }],
    [{ memoryMb: 5 }],
    [{ pidsLimit: -1 }],
    [{ pidsLimit: 0 }],
    [{ nofile: Number.POSITIVE_INFINITY }],
    // RLIM_INFINITY as an unsigned 64-bit value.
    [{ fsizeMb: 2 ** 64 - 1 }],
    [{ timeoutSeconds: 0 }],
    [{ timeoutSeconds: 1.5 }],
    [{ cpus: 0 }],
    [{ cpus: 0.001 }],
    [{ cpus: Number.POSITIVE_INFINITY }],
    [{ tmpfsMb: Number.NaN }],
    [{ outputBytes: '1000' }],
    [{ unknownLimit: 1 }],
  ])('refuses %j', (limits) => {
    let caught: unknown;
    try {
      parseSandboxLimits(limits);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: ErrorCode.InvalidInput });
  });
});

describe('containerSpec', () => {
  it('maps the limits onto HostConfig', () => {
    const limits = SandboxLimits.parse({ memoryMb: 96, cpus: 0.5, pidsLimit: 48, tmpfsMb: 16, nofile: 512, fsizeMb: 8 });
    const created = spec(limits);
    const host = created.HostConfig;
    expect(host.Memory).toBe(96 * MiB);
    expect(host.MemorySwap).toBe(96 * MiB);
    expect(host.NanoCpus).toBe(500_000_000);
    expect(host.PidsLimit).toBe(48);
    expect(host.ShmSize).toBe(16 * MiB);
    expect(host.Ulimits).toEqual([
      { Name: 'nofile', Soft: 512, Hard: 512 },
      { Name: 'core', Soft: 0, Hard: 0 },
      { Name: 'fsize', Soft: 8 * MiB, Hard: 8 * MiB },
    ]);
    expect(host.Tmpfs).toEqual({
      '/tmp': 'rw,exec,nosuid,nodev,size=16m,mode=1777',
      [SANDBOX_HOME]: 'rw,noexec,nosuid,nodev,size=16m,mode=0700,uid=65534,gid=65534',
    });
  });

  it('locks the container down', () => {
    const created = spec();
    const host = created.HostConfig;
    expect(created.User).toBe('65534:65534');
    expect(created.WorkingDir).toBe(WORKSPACE_PATH);
    expect(created.NetworkDisabled).toBe(true);
    expect(created.Entrypoint).toEqual([]);
    expect(created.Cmd).toEqual(['python3', '-m', 'unittest']);
    expect(host.NetworkMode).toBe('none');
    expect(host.ReadonlyRootfs).toBe(true);
    expect(host.Privileged).toBe(false);
    expect(host.CapDrop).toEqual(['ALL']);
    expect(host.CapAdd).toEqual([]);
    expect(host.SecurityOpt).toEqual(['no-new-privileges:true']);
    expect(host.Devices).toEqual([]);
    expect(host.AutoRemove).toBe(false);
    expect(host.Binds).toBeUndefined();
    expect(host.Mounts).toEqual([
      { Type: 'bind', Source: '/tmp/gh-ws', Target: WORKSPACE_PATH, ReadOnly: true, BindOptions: { Propagation: 'rprivate' } },
    ]);
    expect(host.LogConfig).toEqual({ Type: 'none', Config: {} });
    expect(created.Labels).toEqual({
      [SandboxLabel.sandbox]: '1',
      [SandboxLabel.instance]: 'instance-1',
      [SandboxLabel.owner]: 'host:42',
      [SandboxLabel.runId]: 'run-1',
      [SandboxLabel.createdAt]: '2025-01-02T03:04:05.000Z',
    });
    expect(() => assertContained(created)).not.toThrow();
  });

  it('clamps the CPU quota to what the engine has, and labels the side', () => {
    const created = spec(SandboxLimits.parse({ cpus: 8 }), { engineCpus: 2, side: 'base' });
    expect(created.HostConfig.NanoCpus).toBe(2_000_000_000);
    expect(created.Labels?.[SandboxLabel.side]).toBe('base');
  });

  it('sets HOME and TMPDIR, letting the caller add variables', () => {
    expect(spec(undefined, { env: { CI: '1' } }).Env).toEqual([`HOME=${SANDBOX_HOME}`, 'TMPDIR=/tmp', 'CI=1']);
  });
});

describe('assertContained', () => {
  const weakened: ReadonlyArray<[string, (s: SandboxCreateOptions) => SandboxCreateOptions, string]> = [
    ['privileged', (s) => ({ ...s, HostConfig: { ...s.HostConfig, Privileged: true } }), 'privileged mode'],
    ['host network', (s) => ({ ...s, HostConfig: { ...s.HostConfig, NetworkMode: 'host' } }), 'network mode host'],
    ['seccomp unconfined', (s) => ({ ...s, HostConfig: { ...s.HostConfig, SecurityOpt: ['no-new-privileges:true', 'seccomp=unconfined'] } }), 'a seccomp override'],
    ['docker.sock bind', (s) => ({ ...s, HostConfig: { ...s.HostConfig, Binds: ['/var/run/docker.sock:/var/run/docker.sock'] } }), 'Binds'],
    [
      'socket mount',
      (s) => ({ ...s, HostConfig: { ...s.HostConfig, Mounts: [{ Type: 'bind', Source: '/run/docker.sock', Target: WORKSPACE_PATH, ReadOnly: true }] } }),
      'socket mount /run/docker.sock',
    ],
    ['swap', (s) => ({ ...s, HostConfig: { ...s.HostConfig, MemorySwap: -1 } }), 'memory not bounded'],
    ['root', (s) => ({ ...s, User: '0:0' }), 'user 0:0'],
    ['device', (s) => ({ ...s, HostConfig: { ...s.HostConfig, Devices: [{ PathOnHost: '/dev/kvm' }] } }), 'devices'],
    ['unlimited ulimit', (s) => ({ ...s, HostConfig: { ...s.HostConfig, Ulimits: [{ Name: 'nofile', Soft: -1, Hard: -1 }] } }), 'unlimited nofile'],
  ];
  it.each(weakened)('refuses %s', (_name, weaken, problem) => {
    let caught: unknown;
    try {
      assertContained(weaken(spec()));
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: ErrorCode.Refused });
    expect((caught as Error).message).toContain(problem);
  });
});

describe('validateCommand', () => {
  it.each([[[]], [['']], [['a\0b']], [[1 as unknown as string]]])('refuses %j', (command) => {
    expect(() => validateCommand(command)).toThrow(expect.objectContaining({ code: ErrorCode.InvalidInput }));
  });
  it('refuses bad environment names and NUL values', () => {
    expect(() => validateCommand(['true'], { 'A=B': 'x' })).toThrow(/invalid environment variable name/);
    expect(() => validateCommand(['true'], { A: 'x\0' })).toThrow(/without NUL/);
    expect(() => validateCommand(['true'], { A_1: 'ok' })).not.toThrow();
  });
});
