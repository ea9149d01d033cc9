/** Channels about the application itself: versions, data directory, health, the demo workspace. */
import { z } from 'zod';
import { channel } from '../define';

/** Docker Engine reachability as the console shows it. */
export const DockerStatus = z.object({
  reachable: z.boolean(),
  engineVersion: z.string().nullable(),
  runcVersion: z.string().nullable(),
  warnings: z.array(z.string()).readonly(),
  reason: z.string().nullable(),
});
export type DockerStatus = z.infer<typeof DockerStatus>;

/** What `app:info` returns. */
export const AppInfo = z.object({
  name: z.string(),
  version: z.string(),
  dataDir: z.string(),
  /** Which shell hosts the renderer. */
  shell: z.enum(['electron', 'chromium-bridge', 'cli']),
  versions: z.object({
    electron: z.string().nullable(),
    chromium: z.string().nullable(),
    node: z.string(),
  }),
  docker: DockerStatus,
});
export type AppInfo = z.infer<typeof AppInfo>;

/** One health check line. */
export const HealthCheck = z.object({
  name: z.string(),
  ok: z.boolean(),
  detail: z.string(),
});

/** The app's channels. */
export const appChannels = {
  /** Version, data directory, shell, Electron/Chromium/Node versions and Docker reachability. */
  'app:info': channel({
    summary: 'Version, data directory, runtime versions and Docker reachability',
    input: z.object({}).strict(),
    output: AppInfo,
    access: 'public',
  }),
  /** Quick self-checks: database open, audit chain head, data directory writable. */
  'app:health': channel({
    summary: 'Self-checks of the database, audit log and data directory',
    input: z.object({}).strict(),
    output: z.object({ ok: z.boolean(), checks: z.array(HealthCheck).readonly() }),
    access: 'public',
  }),
  /** Builds the demo workspace (a real git repository with four proposals and demo operators). */
  'app:createDemo': channel({
    summary: 'Create the demo workspace: a git repository, four proposals, demo operators and policy',
    input: z.object({}).strict(),
    output: z.object({
      repositoryId: z.string(),
      path: z.string(),
      operators: z.array(z.object({ name: z.string(), role: z.string(), passphrase: z.string() })).readonly(),
    }),
    access: 'public',
  }),
} as const;
