/**
 * The assessment of one revision: a safety score in 0..1 and a risk level, with the factors that moved
 * them, so a reviewer sees why.
 *
 * Deterministic, and every threshold is here:
 * - The score starts at 1 and each factor subtracts its weight; it never goes below 0.
 * - Each finding introduced by the revision weighs, by severity: critical 0.50, high 0.25,
 *   medium 0.10, low 0.03, info 0. Pre-existing findings are listed by the review view but are not the
 *   revision's doing and do not count. Findings of one rule and severity are one factor.
 * - Change size (added + removed lines): ≤ 50 → 0; ≤ 200 → 0.02; ≤ 500 → 0.05; ≤ 1000 → 0.08;
 *   more → 0.12.
 * - Each changed file under a sensitive path weighs 0.15 and forces at least HIGH. The policy and trust
 *   files (`.gatehouse/**` by default) weigh 0.40 and force CRITICAL: a change to them is a change to
 *   the rules it will be judged by.
 * - The agent's own safety score can only lower ours: it weighs (1 − score) × 0.10.
 * - Score → level: ≥ 0.95 MINIMAL, ≥ 0.80 LOW, ≥ 0.55 MEDIUM, ≥ 0.30 HIGH, else CRITICAL. An introduced
 *   critical finding forces CRITICAL and an introduced high finding at least HIGH. The level is the
 *   higher of the score's level and every factor's floor.
 */
import type { Assessment, AssessmentFactor, Finding, RiskLevel, Severity } from '../../../shared/model/domain';
import { severityRank } from './engine';
import { globMatcher } from './glob';

/** Weight of one introduced finding, by severity. */
export const FINDING_WEIGHT: Readonly<Record<Severity, number>> = { critical: 0.5, high: 0.25, medium: 0.1, low: 0.03, info: 0 };
/** The level an introduced finding forces at least, by severity. */
export const FINDING_FLOOR: Readonly<Partial<Record<Severity, RiskLevel>>> = { critical: 'CRITICAL', high: 'HIGH' };
/** Weight of a changed file under a sensitive path. */
export const SENSITIVE_PATH_WEIGHT = 0.15;
/** Weight of a changed policy or trust file. */
export const POLICY_PATH_WEIGHT = 0.4;
/** Where the policy and trust files live; changing them is always CRITICAL. */
export const DEFAULT_POLICY_PATHS: ReadonlyArray<string> = ['.gatehouse/**'];
/** Size tiers: up to `lines` changed lines, the weight. */
export const SIZE_TIERS: ReadonlyArray<{ readonly lines: number; readonly weight: number }> = [
  { lines: 50, weight: 0 },
  { lines: 200, weight: 0.02 },
  { lines: 500, weight: 0.05 },
  { lines: 1000, weight: 0.08 },
  { lines: Number.POSITIVE_INFINITY, weight: 0.12 },
];
/** Lowest score of each level, highest level first. */
export const LEVEL_THRESHOLDS: ReadonlyArray<{ readonly level: RiskLevel; readonly minScore: number }> = [
  { level: 'MINIMAL', minScore: 0.95 },
  { level: 'LOW', minScore: 0.8 },
  { level: 'MEDIUM', minScore: 0.55 },
  { level: 'HIGH', minScore: 0.3 },
  { level: 'CRITICAL', minScore: 0 },
];
/** How much the agent's own score can take off (at agentSafetyScore 0). */
export const AGENT_WEIGHT = 0.1;

const LEVEL_RANK: Readonly<Record<RiskLevel, number>> = { MINIMAL: 0, LOW: 1, MEDIUM: 2, HIGH: 3, CRITICAL: 4 };

/** One changed file of the revision. */
export interface ChangedFile {
  readonly path: string;
  readonly added: number;
  readonly removed: number;
}

/** What {@link assess} looks at. */
export interface AssessInput {
  readonly findings: ReadonlyArray<Finding>;
  readonly changedFiles: ReadonlyArray<ChangedFile>;
  /** The policy's sensitive paths (globs: `src/auth/**`, `.github/workflows/**`). */
  readonly sensitivePaths: ReadonlyArray<string>;
  /** Policy and trust files; default `.gatehouse/**`. */
  readonly policyPaths?: ReadonlyArray<string>;
  /** The proposing agent's own safety score (0..1), if it gave one. */
  readonly agentSafetyScore?: number;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** The higher of two risk levels. */
export function maxRisk(a: RiskLevel, b: RiskLevel): RiskLevel {
  return LEVEL_RANK[a] >= LEVEL_RANK[b] ? a : b;
}

/** The level a score maps to, before floors. */
export function levelForScore(score: number): RiskLevel {
  for (const { level, minScore } of LEVEL_THRESHOLDS) if (score >= minScore) return level;
  return 'CRITICAL';
}

function listPlaces(findings: ReadonlyArray<Finding>): string {
  const places = findings.slice(0, 3).map((f) => `${f.path}:${f.startLine}`);
  return findings.length > 3 ? `${places.join(', ')}, …` : places.join(', ');
}

/** Scores a revision and explains the score. */
export function assess(input: AssessInput): Assessment {
  const factors: AssessmentFactor[] = [];

  const groups = new Map<string, Finding[]>();
  for (const f of input.findings) {
    if (!f.introduced || FINDING_WEIGHT[f.severity] === 0) continue;
    const key = `${f.severity}\0${f.ruleId}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  for (const group of groups.values()) {
    const first = group[0];
    if (first === undefined) continue;
    const floor = FINDING_FLOOR[first.severity];
    const count = group.length === 1 ? '' : `${group.length}× `;
    factors.push({
      kind: 'finding',
      label: `${count}${first.severity} ${first.ruleId} (${first.title}) at ${listPlaces(group)}`,
      weight: round(FINDING_WEIGHT[first.severity] * group.length),
      ...(floor === undefined ? {} : { floor }),
    });
  }

  const policy = (input.policyPaths ?? DEFAULT_POLICY_PATHS).map((p) => ({ pattern: p, match: globMatcher(p) }));
  const sensitive = input.sensitivePaths.map((p) => ({ pattern: p, match: globMatcher(p) }));
  for (const file of input.changedFiles) {
    const policyHit = policy.find((p) => p.match(file.path));
    if (policyHit !== undefined) {
      factors.push({ kind: 'sensitive-path', label: `changes policy/trust file ${file.path} (${policyHit.pattern})`, weight: POLICY_PATH_WEIGHT, floor: 'CRITICAL' });
      continue;
    }
    const hit = sensitive.find((p) => p.match(file.path));
    if (hit !== undefined) {
      factors.push({ kind: 'sensitive-path', label: `changes sensitive path ${file.path} (${hit.pattern})`, weight: SENSITIVE_PATH_WEIGHT, floor: 'HIGH' });
    }
  }

  const lines = input.changedFiles.reduce((n, f) => n + Math.max(0, f.added) + Math.max(0, f.removed), 0);
  const tier = SIZE_TIERS.find((t) => lines <= t.lines) ?? SIZE_TIERS[SIZE_TIERS.length - 1];
  if (tier !== undefined && tier.weight > 0) {
    factors.push({ kind: 'size', label: `${lines} lines changed in ${input.changedFiles.length} files`, weight: tier.weight });
  }

  if (input.agentSafetyScore !== undefined && Number.isFinite(input.agentSafetyScore)) {
    const agent = Math.min(1, Math.max(0, input.agentSafetyScore));
    const weight = round((1 - agent) * AGENT_WEIGHT);
    if (weight > 0) factors.push({ kind: 'agent', label: `the proposing agent rated its own change ${agent.toFixed(2)}`, weight });
  }

  factors.sort((a, b) => b.weight - a.weight || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  const safetyScore = round(Math.max(0, 1 - factors.reduce((sum, f) => sum + f.weight, 0)));
  let risk = levelForScore(safetyScore);
  for (const f of factors) if (f.floor !== undefined) risk = maxRisk(risk, f.floor);
  return { safetyScore, risk, factors };
}

/** The highest severity among findings, or undefined when there are none. */
export function highestSeverity(findings: ReadonlyArray<Finding>): Severity | undefined {
  let best: Severity | undefined;
  for (const f of findings) if (best === undefined || severityRank(f.severity) > severityRank(best)) best = f.severity;
  return best;
}
