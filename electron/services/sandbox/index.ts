/**
 * The sandbox service's public surface: the launcher, its request/result types, and the helpers
 * core and the CLI need (limit parsing, the default image, runc warnings).
 */
export {
  createSandbox,
  type CreateSandboxOptions,
  type EngineProbe,
  type Sandbox,
  type SandboxBenchmarkReport,
  type SandboxCompareRequest,
  type SandboxComparisonReport,
  type SandboxLimitsInput,
  type SandboxRunRequest,
  type SandboxRunStarted,
  type SandboxShutdown,
  type SandboxTreeRunRequest,
} from './sandbox';
export { DEFAULT_SANDBOX_IMAGE, parseSandboxLimits, SandboxLabel, SANDBOX_HOME, SANDBOX_USER, WORKSPACE_PATH } from './container-spec';
export { printedFigure, type BenchmarkFigureSource, type BenchmarkVerdict } from './benchmark';
export { SandboxError } from './errors';
export { checkWorkspace, makeReadableBySandbox } from './workspace';
export type { OutputStream } from './output';
export { runcWarnings } from './runc-version';
