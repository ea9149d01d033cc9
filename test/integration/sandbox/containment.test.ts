/**
 * Containment, proven against the real Docker Engine: each test runs hostile code in a sandbox and
 * checks what the limits stopped, and that no container is left behind.
 */
import Dockerode from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_HOME, SandboxLabel, WORKSPACE_PATH } from '../../../electron/services/sandbox/container-spec';
import { createSandbox, type Sandbox } from '../../../electron/services/sandbox/sandbox';
import { checkEngine, containersOf, ensureImage, makeWorkspace, removeWorkspace, requireEngine, skipWithoutEngine } from './engine';

const docker = new Dockerode();
const engine = await checkEngine(docker);
const MiB = 1024 * 1024;

const FORKER = `
import os, time
n = 0
try:
    while n < 10000:
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        n += 1
except OSError as e:
    print(n, e.errno, flush=True)
# Hold the children for a stats sample, then exit: PID 1 leaving ends the namespace.
time.sleep(1.5)
`;

const NETWORK = `
import json, os, socket, sys
out = {}
for name, addr in {"outside": ("1.1.1.1", 443), "gateway": (sys.argv[1], 80), "metadata": ("169.254.169.254", 80)}.items():
    s = socket.socket()
    s.settimeout(3)
    try:
        s.connect(addr)
        out[name] = "connected"
    except OSError as e:
        out[name] = "%s:%s" % (type(e).__name__, e.errno)
    finally:
        s.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    u.sendto(b"x", ("8.8.8.8", 53))
    out["udp"] = "sent"
except OSError as e:
    out["udp"] = "%s:%s" % (type(e).__name__, e.errno)
try:
    socket.getaddrinfo("example.com", 443)
    out["dns"] = "resolved"
except OSError as e:
    out["dns"] = "%s:%s" % (type(e).__name__, e.errno)
out["interfaces"] = sorted(os.listdir("/sys/class/net"))
print(json.dumps(out))
`;

const WRITES = `
import errno, json, os
out = {}
for path in ["/gatehouse-probe", "/usr/gatehouse-probe", "/etc/gatehouse-probe", "/workspace/gatehouse-probe"]:
    try:
        with open(path, "w") as f:
            f.write("x")
        out[path] = "written"
    except OSError as e:
        out[path] = errno.errorcode.get(e.errno, str(e.errno))
print(json.dumps(out))
`;

const FILL = `
import errno, json, os, sys
out = {}
for path in ["/tmp/fill", os.environ["HOME"] + "/fill"]:
    written = 0
    try:
        with open(path, "wb") as f:
            while written < 256 * 1024 * 1024:
                f.write(b"\\0" * 1048576)
                f.flush()
                written += 1048576
        out[path] = ["no error", written]
    except OSError as e:
        out[path] = [errno.errorcode.get(e.errno, str(e.errno)), os.path.getsize(path)]
    os.remove(path)
print(json.dumps(out))
`;

describe.skipIf(skipWithoutEngine(engine, 'sandbox containment tests'))('sandbox containment (real Docker Engine)', () => {
  let sandbox: Sandbox;
  let workspace: string;

  beforeAll(async () => {
    requireEngine(engine);
    await ensureImage(docker);
    sandbox = createSandbox({ docker });
    workspace = makeWorkspace({ 'forker.py': FORKER, 'network.py': NETWORK, 'writes.py': WRITES, 'fill.py': FILL });
  }, 20 * 60_000);

  afterEach(async () => {
    if (!sandbox) return;
    expect(await containersOf(docker, sandbox.instanceId)).toEqual([]);
  });

  afterAll(async () => {
    await sandbox?.shutdown();
    if (workspace) removeWorkspace(workspace);
  });

  it('contains a fork bomb with the pids limit', async () => {
    const counted = await sandbox.run({ workspaceDir: workspace, command: ['python3', 'forker.py'], limits: { pidsLimit: 32, timeoutSeconds: 20 } });
    expect(counted.status).toBe('completed');
    const [forks, errnoValue] = counted.stdout.trim().split(' ').map(Number);
    // fork() failed with EAGAIN before the 32nd process (python itself is one of them).
    expect(errnoValue).toBe(11);
    expect(forks).toBeLessThan(32);
    expect(counted.violations).toContain('pids limit reached (32)');

    const classic = await sandbox.run({
      workspaceDir: workspace,
      // The shell stays (PID 1) while the bomb grows, so it runs into the limit rather than being cut short.
      command: ['sh', '-c', 'f() { f | f & }; f; sleep 2'],
      limits: { pidsLimit: 32, timeoutSeconds: 20 },
    });
    expect(classic.status).toBe('completed');
    expect(classic.timedOut).toBe(false);
    expect(classic.stderr).toMatch(/Cannot fork|Resource temporarily unavailable/);
    expect(classic.violations).toContain('pids limit reached (32)');
    // The host still starts sandboxes after the bomb.
    const after = await sandbox.run({ workspaceDir: workspace, command: ['true'] });
    expect(after.exitCode).toBe(0);
  });

  it('names the pids limit, not only the timeout, for a fork bomb that runs until it is killed', async () => {
    // Forks that fail end at once, so few processes are alive at any moment: a stats sample rarely
    // catches the limit, the cgroup's pids.events counter does (issue 12 §4).
    const bomb = await sandbox.run({
      workspaceDir: workspace,
      // The bomb runs in a subshell: when its forks fail only the subshell gives up, and the parent then
      // waits with `exec sleep` (no fork needed), so the run always lasts until the timeout kills it.
      command: ['sh', '-c', '(f() { f | f & }; f); exec sleep 60'],
      limits: { pidsLimit: 32, timeoutSeconds: 8 },
    });
    expect(bomb.timedOut).toBe(true);
    expect(bomb.violations).toContain('timed out after 8 s');
    expect(bomb.violations).toContain('pids limit reached (32)');
  });

  it('OOM-kills a process allocating 10x the memory limit (exit 137)', async () => {
    const result = await sandbox.run({
      workspaceDir: workspace,
      command: ['python3', '-c', 'x = b"\\x01" * (320 * 1024 * 1024); print(len(x))'],
      limits: { memoryMb: 32, timeoutSeconds: 30 },
    });
    expect(result.status).toBe('completed');
    expect(result.exitCode).toBe(137);
    expect(result.oomKilled).toBe(true);
    expect(result.timedOut).toBe(false);
    expect(result.stdout).toBe('');
    expect(result.violations).toContain('OOM-killed at 32 MiB');
    expect(result.peakMemoryBytes).toBeGreaterThanOrEqual(32 * MiB);
  });

  it('has no network: outside address, DNS, the bridge gateway and 169.254.169.254 all fail', async () => {
    const bridge = (await docker.getNetwork('bridge').inspect()) as { IPAM?: { Config?: Array<{ Gateway?: string }> } };
    const gateway = bridge.IPAM?.Config?.find((c) => c.Gateway)?.Gateway ?? '172.17.0.1';
    const result = await sandbox.run({ workspaceDir: workspace, command: ['python3', 'network.py', gateway], limits: { timeoutSeconds: 30 } });
    expect(result.exitCode, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout) as Record<string, unknown>;
    // ENETUNREACH: the only interface is loopback, so there is no route anywhere.
    expect(out.outside).toBe('OSError:101');
    expect(out.gateway).toBe('OSError:101');
    expect(out.metadata).toBe('OSError:101');
    expect(out.udp).toBe('OSError:101');
    expect(String(out.dns)).toMatch(/^gaierror:/);
    expect(out.interfaces).toEqual(['lo']);
  });

  it('refuses writes to /, /usr, /etc and the workspace (read-only)', async () => {
    const result = await sandbox.run({ workspaceDir: workspace, command: ['python3', 'writes.py'] });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      '/gatehouse-probe': 'EROFS',
      '/usr/gatehouse-probe': 'EROFS',
      '/etc/gatehouse-probe': 'EROFS',
      '/workspace/gatehouse-probe': 'EROFS',
    });
  });

  it('stops filling /tmp and HOME at the tmpfs bound', async () => {
    const result = await sandbox.run({ workspaceDir: workspace, command: ['python3', 'fill.py'], limits: { tmpfsMb: 8, fsizeMb: 64, memoryMb: 128 } });
    expect(result.exitCode, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout) as Record<string, [string, number]>;
    for (const path of ['/tmp/fill', `${SANDBOX_HOME}/fill`]) {
      expect(out[path]?.[0]).toBe('ENOSPC');
      expect(out[path]?.[1]).toBeLessThanOrEqual(8 * MiB);
    }
  });

  it('stops a file at the fsize ulimit', async () => {
    const result = await sandbox.run({
      workspaceDir: workspace,
      command: ['sh', '-c', 'dd if=/dev/zero of=/tmp/big bs=1M count=8'],
      limits: { tmpfsMb: 64, fsizeMb: 2 },
    });
    // dd dies of SIGXFSZ at 2 MiB; the shell reports 128 + 25.
    expect(result.exitCode).toBe(153);
    expect(result.violations).toContain('file size limit reached (2 MiB)');
  });

  it('runs with no capabilities, no-new-privileges and seccomp filtering, as uid/gid 65534', async () => {
    const result = await sandbox.run({
      workspaceDir: workspace,
      command: ['sh', '-c', 'grep -E "^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):" /proc/self/status; echo "ids $(id -u) $(id -g) $(id -G)"'],
    });
    expect(result.exitCode).toBe(0);
    const status = Object.fromEntries(
      result.stdout
        .trim()
        .split('\n')
        .map((line) => line.split(/:\s+|\s+/, 2) as [string, string]),
    );
    expect(status.CapEff).toBe('0000000000000000');
    expect(status.CapPrm).toBe('0000000000000000');
    expect(status.CapBnd).toBe('0000000000000000');
    expect(status.NoNewPrivs).toBe('1');
    expect(status.Seccomp).toBe('2');
    expect(result.stdout).toContain('ids 65534 65534 65534\n');
  });

  it('caps an endless writer while the Node event loop keeps ticking', async () => {
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 20);
    let streamed = '';
    try {
      const result = await sandbox.run({
        workspaceDir: workspace,
        command: ['yes', 'gatehouse'],
        limits: { outputBytes: 64 * 1024, timeoutSeconds: 2 },
        onOutput: (stream, chunk) => {
          if (stream === 'stdout') streamed += chunk;
        },
      });
      expect(result.timedOut).toBe(true);
      expect(result.stdoutTruncated).toBe(true);
      expect(result.stdout.startsWith('gatehouse\n'.repeat(100))).toBe(true);
      expect(result.stdout).toMatch(/\[gatehouse: stdout capped at 64 KiB; \d+ more bytes dropped\]\n$/);
      expect(Buffer.byteLength(result.stdout)).toBeLessThan(64 * 1024 + 200);
      expect(result.violations.some((v) => v.startsWith('output capped: stdout at 64 KiB'))).toBe(true);
      // Live output stopped at the cap too, with the marker once.
      expect(Buffer.byteLength(streamed)).toBeLessThan(64 * 1024 + 200);
      expect(streamed).toContain('[gatehouse: stdout capped at 64 KiB; further output dropped]');
      // Two seconds of a 20 ms interval: far more than 10 ticks unless the loop was starved.
      expect(ticks).toBeGreaterThan(10);
    } finally {
      clearInterval(ticker);
    }
  });

  it('kills an infinite loop at the wall-clock timeout', async () => {
    const result = await sandbox.run({ workspaceDir: workspace, command: ['python3', '-c', 'while True: pass'], limits: { timeoutSeconds: 2 } });
    expect(result.status).toBe('completed');
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).toBe(137);
    expect(result.durationMs).toBeGreaterThanOrEqual(2000);
    expect(result.violations).toEqual(['timed out after 2 s']);
  });

  it('keeps nothing from one run to the next', async () => {
    const first = await sandbox.run({
      workspaceDir: workspace,
      command: ['sh', '-c', 'echo secret > /tmp/left-behind && echo secret > "$HOME/left-behind" && cat /tmp/left-behind'],
    });
    expect(first.stdout).toBe('secret\n');
    const second = await sandbox.run({
      workspaceDir: workspace,
      command: ['sh', '-c', 'ls -A /tmp "$HOME"; test ! -e /tmp/left-behind && test ! -e "$HOME/left-behind"'],
    });
    expect(second.exitCode).toBe(0);
    expect(second.stdout).not.toContain('left-behind');
  });

  it('shows every containment setting on docker inspect of a running sandbox', async () => {
    const limits = { memoryMb: 96, cpus: 0.5, pidsLimit: 48, timeoutSeconds: 60, tmpfsMb: 16, nofile: 512, fsizeMb: 8 };
    let inspected: Promise<Dockerode.ContainerInspectInfo> | undefined;
    const result = await sandbox.run({
      workspaceDir: workspace,
      command: ['sleep', '60'],
      limits,
      side: 'head',
      onStart: (started) => {
        inspected = docker
          .getContainer(started.containerId)
          .inspect()
          .finally(() => sandbox.cancel(started.runId));
      },
    });
    expect(result.status).toBe('cancelled');
    const info = await (inspected as Promise<Dockerode.ContainerInspectInfo>);
    expect(info.State.Running).toBe(true);
    expect(info.Config.User).toBe('65534:65534');
    expect(info.Config.WorkingDir).toBe(WORKSPACE_PATH);
    expect(info.Config.Labels[SandboxLabel.sandbox]).toBe('1');
    expect(info.Config.Labels[SandboxLabel.instance]).toBe(sandbox.instanceId);
    expect(info.Config.Labels[SandboxLabel.side]).toBe('head');
    const host = info.HostConfig as Dockerode.HostConfig & { CgroupnsMode?: string; Devices?: unknown[] | null };
    expect(host.NetworkMode).toBe('none');
    expect(host.ReadonlyRootfs).toBe(true);
    expect(host.Privileged).toBe(false);
    expect(host.CapDrop).toEqual(['ALL']);
    expect(host.CapAdd ?? []).toEqual([]);
    expect(host.SecurityOpt).toEqual(['no-new-privileges:true']);
    expect(host.Devices ?? []).toEqual([]);
    expect(host.Memory).toBe(96 * MiB);
    expect(host.MemorySwap).toBe(96 * MiB);
    expect(host.NanoCpus).toBe(500_000_000);
    expect(host.PidsLimit).toBe(48);
    expect(host.AutoRemove).toBe(false);
    expect(host.Tmpfs).toEqual({
      '/tmp': 'rw,exec,nosuid,nodev,size=16m,mode=1777',
      [SANDBOX_HOME]: 'rw,noexec,nosuid,nodev,size=16m,mode=0700,uid=65534,gid=65534',
    });
    expect(host.Ulimits).toEqual([
      { Name: 'nofile', Soft: 512, Hard: 512 },
      { Name: 'core', Soft: 0, Hard: 0 },
      { Name: 'fsize', Soft: 8 * MiB, Hard: 8 * MiB },
    ]);
    expect(host.Binds ?? []).toEqual([]);
    expect(info.Mounts).toHaveLength(1);
    expect(info.Mounts[0]).toMatchObject({ Type: 'bind', Destination: WORKSPACE_PATH, RW: false });
    expect(host.CgroupnsMode).toBe('private');
    // The default seccomp profile is in force: no seccomp= override, and the kernel says filter mode.
    expect(JSON.stringify(host.SecurityOpt)).not.toMatch(/seccomp/);
  });
});
