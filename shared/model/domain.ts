/**
 * Domain vocabulary shared by main, CLI and renderer, as zod schemas so that the IPC contract,
 * the services and the UI check and name things the same way. Pure: no Node, DOM or Electron.
 */
import { z } from 'zod';

/** An operator's role. */
export const Role = z.enum(['reviewer', 'auditor', 'lead']);
export type Role = z.infer<typeof Role>;

/** Severity of one finding, lowest first. */
export const Severity = z.enum(['info', 'low', 'medium', 'high', 'critical']);
export type Severity = z.infer<typeof Severity>;

/** Risk level of a whole revision, lowest first. */
export const RiskLevel = z.enum(['MINIMAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL']);
export type RiskLevel = z.infer<typeof RiskLevel>;

/** A git object id (SHA-1 hex). */
export const Oid = z.string().regex(/^[0-9a-f]{40}$/, 'a 40-hex git object id');
export type Oid = z.infer<typeof Oid>;

/** One static-analysis result, on a line range of one file. */
export const Finding = z.object({
  ruleId: z.string(),
  title: z.string(),
  severity: Severity,
  /** CWE tags as CodeQL writes them: `external/cwe/cwe-78`. */
  cwe: z.array(z.string()).readonly(),
  path: z.string(),
  startLine: z.number().int().positive(),
  startColumn: z.number().int().positive(),
  endLine: z.number().int().positive(),
  endColumn: z.number().int().positive(),
  snippet: z.string(),
  message: z.string(),
  remediation: z.string(),
  /** On a line the revision adds (true) or pre-existing (false). */
  introduced: z.boolean(),
  /** Which tool produced it: `gatehouse` or an imported SARIF tool name. */
  tool: z.string(),
  /** Stable fingerprint (survives line moves) used for de-duplication and SARIF. */
  fingerprint: z.string(),
  /** For a dataflow finding: the steps from source to sink (SARIF `codeFlows`), when traced. */
  flow: z
    .array(z.object({ path: z.string(), line: z.number().int().positive(), column: z.number().int().positive(), message: z.string() }))
    .readonly()
    .optional(),
});
export type Finding = z.infer<typeof Finding>;

/** Why the safety score moved: one line of the explanation. */
export const AssessmentFactor = z.object({
  kind: z.enum(['finding', 'sensitive-path', 'size', 'sandbox', 'agent']),
  label: z.string(),
  /** How much this factor lowered the safety score (0..1). */
  weight: z.number(),
  /** The risk level this factor forces at least, if any. */
  floor: RiskLevel.optional(),
});
export type AssessmentFactor = z.infer<typeof AssessmentFactor>;

/** Findings + size + sensitive paths → safety score and risk level. */
export const Assessment = z.object({
  safetyScore: z.number().min(0).max(1),
  risk: RiskLevel,
  factors: z.array(AssessmentFactor).readonly(),
});
export type Assessment = z.infer<typeof Assessment>;

/**
 * A decision an operator signs.
 *
 * `request_changes` is signed like the others but never counts towards the gate: it sends the
 * published comments back to the proposal's author and stands until a new revision arrives.
 */
export const Decision = z.enum(['approve', 'reject', 'request_changes']);
export type Decision = z.infer<typeof Decision>;
