/**
 * SARIF 2.1.0 (OASIS) in and out.
 *
 * Out: one run per tool; rules in `tool.driver.rules` with CWE tags in `properties.tags` the way CodeQL
 * writes them (`external/cwe/cwe-78`) and `security-severity` as GitHub code scanning reads it; results
 * with regions, snippets, `partialFingerprints` and `baselineState` (new = introduced).
 *
 * In: results of other scanners — Semgrep, CodeQL, Bandit, gitleaks and anything else that writes valid
 * SARIF — become {@link Finding}s with `tool` set. They differ in where they put things (rule by id or
 * by index, rules in `driver` or in `extensions`, CWE in tags or in rule properties, severity as `level`,
 * `security-severity` or Bandit's `issue_severity`); all of those are read. The input is checked with zod
 * first; anything else is refused with a {@link SarifInputError}.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isAbsolute, relative, resolve } from 'node:path';
import { z } from 'zod';
import type { Finding, Severity } from '../../../shared/model/domain';
import { fingerprintOf, TOOL_NAME, type RuleDescriptor } from './engine';
import { SarifInputError } from './errors';
import { redactSecretsIn } from './secrets';
import type { ParseError, SkippedFile } from './types';

/** The partialFingerprints key our own fingerprints travel under. */
export const FINGERPRINT_KEY = 'gatehouse/v1';
const TOOLS_KEY = 'gatehouse/tools';
const TITLE_KEY = 'gatehouse/title';
const REMEDIATION_KEY = 'gatehouse/remediation';
const CWE_KEY = 'gatehouse/cwe';
const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

/** Numeric `security-severity` per severity, inside the bands GitHub uses (≥9 critical, ≥7 high, ≥4 medium, >0 low). */
const SECURITY_SEVERITY: Readonly<Record<Severity, string>> = { critical: '9.5', high: '8.0', medium: '5.5', low: '2.0', info: '0.0' };
const LEVEL: Readonly<Record<Severity, 'error' | 'warning' | 'note' | 'none'>> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'none' };

// ---- schema (only what we read; everything else passes through) ----

const Level = z.enum(['none', 'note', 'warning', 'error']);
const MultiformatMessage = z.looseObject({ text: z.string().optional(), markdown: z.string().optional() });
const Message = z.looseObject({
  text: z.string().optional(),
  markdown: z.string().optional(),
  id: z.string().optional(),
  arguments: z.array(z.string()).optional(),
});
const Properties = z.record(z.string(), z.unknown());
const Region = z.looseObject({
  startLine: z.number().int().positive().optional(),
  startColumn: z.number().int().positive().optional(),
  endLine: z.number().int().positive().optional(),
  endColumn: z.number().int().positive().optional(),
  snippet: z.looseObject({ text: z.string().optional() }).optional(),
});
const ArtifactLocation = z.looseObject({ uri: z.string().optional(), uriBaseId: z.string().optional(), index: z.number().int().nonnegative().optional() });
const Location = z.looseObject({
  physicalLocation: z
    .looseObject({ artifactLocation: ArtifactLocation.optional(), region: Region.optional(), contextRegion: Region.optional() })
    .optional(),
});
const ReportingDescriptor = z.looseObject({
  id: z.string(),
  name: z.string().optional(),
  shortDescription: MultiformatMessage.optional(),
  fullDescription: MultiformatMessage.optional(),
  help: MultiformatMessage.optional(),
  messageStrings: z.record(z.string(), MultiformatMessage).optional(),
  defaultConfiguration: z.looseObject({ level: Level.optional() }).optional(),
  properties: Properties.optional(),
});
const ToolComponent = z.looseObject({ name: z.string().min(1), version: z.string().optional(), rules: z.array(ReportingDescriptor).optional() });
const Result = z.looseObject({
  ruleId: z.string().optional(),
  ruleIndex: z.number().int().nonnegative().optional(),
  rule: z
    .looseObject({
      id: z.string().optional(),
      index: z.number().int().nonnegative().optional(),
      toolComponent: z.looseObject({ index: z.number().int().nonnegative().optional(), name: z.string().optional() }).optional(),
    })
    .optional(),
  kind: z.string().optional(),
  level: Level.optional(),
  message: Message,
  locations: z.array(Location).optional(),
  partialFingerprints: z.record(z.string(), z.string()).optional(),
  fingerprints: z.record(z.string(), z.string()).optional(),
  baselineState: z.enum(['new', 'unchanged', 'updated', 'absent']).optional(),
  properties: Properties.optional(),
  codeFlows: z
    .array(
      z.looseObject({
        threadFlows: z.array(z.looseObject({ locations: z.array(z.looseObject({ location: Location.extend({ message: Message.optional() }).optional() })) })),
      }),
    )
    .optional(),
});
const Run = z.looseObject({
  tool: z.looseObject({ driver: ToolComponent, extensions: z.array(ToolComponent).optional() }),
  results: z.array(Result).optional(),
  artifacts: z.array(z.looseObject({ location: ArtifactLocation.optional() })).optional(),
});
/** A SARIF 2.1.0 log, as far as Gatehouse reads it. */
export const SarifLog = z.looseObject({ $schema: z.string().optional(), version: z.literal('2.1.0'), runs: z.array(Run) });
/** A SARIF 2.1.0 log. */
export type SarifLog = z.infer<typeof SarifLog>;
type SarifRun = z.infer<typeof Run>;
type SarifResult = z.infer<typeof Result>;
type SarifRule = z.infer<typeof ReportingDescriptor>;

// ---- out ----

/** Options of {@link toSarif}. */
export interface ToSarifOptions {
  /** Descriptors of the rules our tool ran (all of them are listed, as CodeQL lists its queries). */
  readonly rules?: ReadonlyArray<RuleDescriptor>;
  readonly toolVersion?: string;
  /** Where to read about the tool (`tool.driver.informationUri`). */
  readonly informationUri?: string;
  /**
   * The scanned root: finding paths are relative to it. Given, locations are relative URIs against
   * `%SRCROOT%` (declared in `originalUriBaseIds`); absent, they are absolute `file://` URIs.
   */
  readonly root?: string;
  /** The run itself: when, and what could not be analysed (written as `invocations`). */
  readonly invocation?: {
    readonly startTime: Date;
    readonly endTime: Date;
    readonly parseErrors?: ReadonlyArray<ParseError>;
    readonly skipped?: ReadonlyArray<SkippedFile>;
  };
}

/** The uriBaseId relative locations are written against. */
export const SRCROOT = '%SRCROOT%';

function encodePath(path: string): string {
  return path
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}

/** What a SARIF rule entry is written from: one of our rule descriptors, or what a finding says of its rule. */
type SarifRuleSource = Pick<RuleDescriptor, 'id' | 'title' | 'severity' | 'cwe' | 'message' | 'remediation'>;

function ruleFromFinding(f: Finding): SarifRuleSource {
  return { id: f.ruleId, title: f.title, severity: f.severity, cwe: f.cwe, message: f.message, remediation: f.remediation };
}

function sarifRule(rule: SarifRuleSource): Record<string, unknown> {
  return {
    id: rule.id,
    // a name in words (SARIF §3.49.7), distinct from the dotted id
    name: rule.title,
    shortDescription: { text: rule.title },
    fullDescription: { text: rule.message },
    help: { text: rule.remediation },
    defaultConfiguration: { level: LEVEL[rule.severity] },
    // the rule's primary CWE comes first (consumers that show one CWE take the first tag)
    properties: { tags: [...rule.cwe, 'security'], 'security-severity': SECURITY_SEVERITY[rule.severity], precision: 'high', 'problem.severity': LEVEL[rule.severity] === 'none' ? 'recommendation' : LEVEL[rule.severity] },
  };
}

/** An artifact location: relative to %SRCROOT% when the root is known, an absolute file URI otherwise. */
function artifactLocation(path: string, root: string | undefined): Record<string, unknown> {
  if (root !== undefined && !isAbsolute(path)) return { uri: encodePath(path), uriBaseId: SRCROOT };
  return { uri: pathToFileURL(resolve(root ?? process.cwd(), path)).href };
}

/** A finding's source → sink steps as a SARIF codeFlow with one thread flow. */
function codeFlowOf(flow: NonNullable<Finding['flow']>, root: string | undefined): Record<string, unknown> {
  return {
    message: { text: `${flow[0]?.message ?? 'source'} → line ${flow[flow.length - 1]?.line ?? 0}` },
    threadFlows: [
      {
        locations: flow.map((step) => ({
          location: {
            physicalLocation: { artifactLocation: artifactLocation(step.path, root), region: { startLine: step.line, startColumn: step.column } },
            message: { text: step.message },
          },
        })),
      },
    ],
  };
}

/** The run's invocation: its times, and a notification per file that did not parse or was not analysed. */
function invocationOf(invocation: NonNullable<ToSarifOptions['invocation']>, root: string | undefined): Record<string, unknown> {
  const notifications = [
    ...(invocation.parseErrors ?? []).map((e) => ({
      level: 'error',
      descriptor: { id: 'gatehouse/parse-error' },
      message: { text: `${e.path} does not parse: ${e.message}; findings on the parts that parse are reported` },
      locations: [{ physicalLocation: { artifactLocation: artifactLocation(e.path, root), region: { startLine: e.line, startColumn: e.column } } }],
    })),
    ...(invocation.skipped ?? []).map((s) => ({
      level: 'warning',
      descriptor: { id: `gatehouse/skipped-${s.reason}` },
      message: { text: `${s.path} not analysed: ${s.note}` },
      locations: [{ physicalLocation: { artifactLocation: artifactLocation(s.path, root) } }],
    })),
  ];
  return {
    executionSuccessful: true,
    startTimeUtc: invocation.startTime.toISOString(),
    endTimeUtc: invocation.endTime.toISOString(),
    ...(notifications.length > 0 ? { toolExecutionNotifications: notifications } : {}),
  };
}

function sameList(a: ReadonlyArray<string>, b: ReadonlyArray<string>): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Writes findings as a SARIF 2.1.0 log, one run per tool. */
export function toSarif(findings: ReadonlyArray<Finding>, options: ToSarifOptions = {}): SarifLog {
  const byTool = new Map<string, Finding[]>();
  for (const f of findings) {
    const tool = f.tool.split(', ')[0] ?? f.tool;
    byTool.set(tool, [...(byTool.get(tool) ?? []), f]);
  }
  if (!byTool.has(TOOL_NAME) && options.rules !== undefined) byTool.set(TOOL_NAME, []);
  const runs = [...byTool.entries()].map(([tool, toolFindings]) => {
    const rules: SarifRuleSource[] = tool === TOOL_NAME && options.rules !== undefined ? [...options.rules] : [];
    const index = new Map(rules.map((r, i) => [r.id, i]));
    for (const f of toolFindings) {
      if (!index.has(f.ruleId)) {
        index.set(f.ruleId, rules.length);
        rules.push(ruleFromFinding(f));
      }
    }
    const results = toolFindings.map((f) => {
      const ruleIndex = index.get(f.ruleId) ?? 0;
      const rule = rules[ruleIndex];
      const properties: Record<string, unknown> = { 'security-severity': SECURITY_SEVERITY[f.severity] };
      // per-result overrides keep a round trip exact when one rule id carries different details
      if (rule !== undefined && rule.title !== f.title) properties[TITLE_KEY] = f.title;
      if (rule !== undefined && rule.remediation !== f.remediation) properties[REMEDIATION_KEY] = f.remediation;
      if (rule !== undefined && !sameList(rule.cwe, f.cwe)) properties[CWE_KEY] = [...f.cwe];
      if (f.tool.includes(', ')) properties[TOOLS_KEY] = f.tool.split(', ');
      return {
        ruleId: f.ruleId,
        ruleIndex,
        level: LEVEL[f.severity],
        message: { text: f.message },
        locations: [
          {
            physicalLocation: {
              artifactLocation: artifactLocation(f.path, options.root),
              region: {
                startLine: f.startLine,
                startColumn: f.startColumn,
                endLine: f.endLine,
                endColumn: f.endColumn,
                snippet: { text: f.snippet },
              },
            },
          },
        ],
        partialFingerprints: { [FINGERPRINT_KEY]: f.fingerprint },
        baselineState: f.introduced ? 'new' : 'unchanged',
        ...(f.flow === undefined || f.flow.length === 0 ? {} : { codeFlows: [codeFlowOf(f.flow, options.root)] }),
        properties,
      };
    });
    const ours = tool === TOOL_NAME;
    return {
      tool: {
        driver: {
          name: tool,
          ...(ours && options.toolVersion !== undefined ? { version: options.toolVersion } : {}),
          ...(ours && options.informationUri !== undefined ? { informationUri: options.informationUri } : {}),
          rules: rules.map(sarifRule),
        },
      },
      ...(ours && options.invocation !== undefined ? { invocations: [invocationOf(options.invocation, options.root)] } : {}),
      ...(options.root !== undefined ? { originalUriBaseIds: { [SRCROOT]: { uri: pathToFileURL(`${resolve(options.root)}/`).href } } } : {}),
      columnKind: 'utf16CodeUnits',
      results,
    };
  });
  return SarifLog.parse({ $schema: SARIF_SCHEMA, version: '2.1.0', runs });
}

// ---- in ----

/** Options of {@link importSarif}. */
export interface ImportSarifOptions {
  /** Repository root: absolute `file:` URIs under it become repository-relative paths. */
  readonly root?: string;
  /**
   * Decides `introduced` for an imported result (e.g. from the revision's added lines). Default: what
   * the result's `baselineState` says (`unchanged` → pre-existing), otherwise introduced.
   */
  readonly introduced?: (path: string, startLine: number, endLine: number) => boolean;
  /** Refuse logs with more results than this (default 100,000). */
  readonly maxResults?: number;
}

/** Turns a CWE mention in any common spelling into CodeQL's tag form, or undefined. */
export function normaliseCwe(value: string): string | undefined {
  const match = /(?:^|[^a-z])cwe[-_: ]?0*(\d{1,5})\b/i.exec(value);
  return match?.[1] === undefined ? undefined : `external/cwe/cwe-${Number(match[1])}`;
}

function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value === 'number') return [`CWE-${value}`];
  if (Array.isArray(value)) return value.flatMap((v) => stringsOf(v));
  if (typeof value === 'object' && value !== null && 'id' in value) return stringsOf((value as { id: unknown }).id);
  return [];
}

function cweOf(...sources: Array<Record<string, unknown> | undefined>): string[] {
  const out: string[] = [];
  for (const props of sources) {
    if (props === undefined) continue;
    for (const key of ['tags', 'cwe', 'cwes', 'CWE', 'issue_cwe']) {
      for (const s of stringsOf(props[key])) {
        const tag = normaliseCwe(s);
        if (tag !== undefined && !out.includes(tag)) out.push(tag);
      }
    }
  }
  return out;
}

function severityFromNumber(value: unknown): Severity | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  if (!Number.isFinite(n)) return undefined;
  if (n >= 9) return 'critical';
  if (n >= 7) return 'high';
  if (n >= 4) return 'medium';
  if (n > 0) return 'low';
  return 'info';
}

function severityFromWord(value: unknown): Severity | undefined {
  if (typeof value !== 'string') return undefined;
  // Bandit's issue_severity: LOW | MEDIUM | HIGH (and UNDEFINED, which says nothing)
  const word = value.toLowerCase();
  return word === 'critical' || word === 'high' || word === 'medium' || word === 'low' || word === 'info' ? word : undefined;
}

function severityFromLevel(level: z.infer<typeof Level> | undefined): Severity {
  switch (level) {
    case 'error':
      return 'high';
    case 'note':
      return 'low';
    case 'none':
      return 'info';
    case 'warning':
    case undefined:
      return 'medium';
  }
}

function pathOf(uri: string | undefined, root: string | undefined): string {
  if (uri === undefined || uri.length === 0) return '';
  let path: string;
  if (/^file:/i.test(uri)) {
    try {
      path = fileURLToPath(uri);
    } catch {
      path = uri;
    }
    if (root !== undefined && isAbsolute(path)) {
      const rel = relative(root, path);
      if (!rel.startsWith('..') && !isAbsolute(rel)) path = rel;
    }
  } else {
    try {
      path = decodeURIComponent(uri);
    } catch {
      path = uri;
    }
  }
  return path.split('\\').join('/').replace(/^\.\//, '');
}

function substitute(text: string, args: ReadonlyArray<string> | undefined): string {
  if (args === undefined) return text;
  return text.replace(/\{(\d+)\}/g, (whole, i: string) => args[Number(i)] ?? whole);
}

const SECRET_TOOLS = /gitleaks|trufflehog|detect-secrets|secretlint|ggshield/i;
// gitleaks puts its regex in shortDescription and the human name in `name`
const LOOKS_LIKE_REGEX = /\[[^\]]*\]|\\[dswbA-Za-z.]|\(\?|\{\d+(,\d*)?\}/;

function titleOf(rule: SarifRule | undefined, ruleId: string): string {
  const short = rule?.shortDescription?.text;
  if (short !== undefined && short.length > 0 && !(LOOKS_LIKE_REGEX.test(short.slice(0, 512)) && rule?.name !== undefined)) return short;
  return rule?.name ?? short ?? ruleId;
}

function descriptorFor(run: SarifRun, result: SarifResult): SarifRule | undefined {
  const componentIndex = result.rule?.toolComponent?.index;
  const component = componentIndex === undefined ? run.tool.driver : run.tool.extensions?.[componentIndex];
  const index = result.ruleIndex ?? result.rule?.index;
  if (component !== undefined && index !== undefined) {
    const byIndex = component.rules?.[index];
    if (byIndex !== undefined) return byIndex;
  }
  const id = result.ruleId ?? result.rule?.id;
  if (id === undefined) return undefined;
  for (const c of [run.tool.driver, ...(run.tool.extensions ?? [])]) {
    const found = c.rules?.find((r) => r.id === id);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Parses and checks a SARIF log (text or an already parsed value). */
export function parseSarif(input: unknown): SarifLog {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input) as unknown;
    } catch (error) {
      throw new SarifInputError(`SARIF input is not JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const parsed = SarifLog.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined ? '' : issue.path.map(String).join('.');
    throw new SarifInputError(`not a SARIF 2.1.0 log${where === '' ? '' : ` at ${where}`}: ${issue?.message ?? 'invalid'}`, {
      issues: parsed.error.issues.slice(0, 10).map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    });
  }
  return parsed.data;
}

/** Imports every result of a SARIF log as findings, each with `tool` set to the run's tool name. */
export function importSarif(input: unknown, options: ImportSarifOptions = {}): ReadonlyArray<Finding> {
  const log = parseSarif(input);
  const maxResults = options.maxResults ?? 100_000;
  const total = log.runs.reduce((n, run) => n + (run.results?.length ?? 0), 0);
  if (total > maxResults) throw new SarifInputError(`SARIF log has ${total} results, more than the ${maxResults} accepted`);
  const findings: Finding[] = [];
  for (const run of log.runs) {
    const toolName = run.tool.driver.name;
    const occurrences = new Map<string, number>();
    for (const result of run.results ?? []) {
      if (result.kind === 'pass' || result.kind === 'notApplicable' || result.baselineState === 'absent') continue;
      const rule = descriptorFor(run, result);
      const ruleId = result.ruleId ?? result.rule?.id ?? rule?.id ?? 'unknown-rule';
      const props = result.properties;
      const ruleProps = rule?.properties;
      const location = result.locations?.[0]?.physicalLocation;
      const artifact = location?.artifactLocation;
      const uri = artifact?.uri ?? (artifact?.index === undefined ? undefined : run.artifacts?.[artifact.index]?.location?.uri);
      const path = pathOf(uri, options.root);
      const region = location?.region;
      const startLine = region?.startLine ?? 1;
      const startColumn = region?.startColumn ?? 1;
      const endLine = Math.max(region?.endLine ?? startLine, startLine);
      const endColumn = region?.endColumn ?? (endLine === startLine ? startColumn + 1 : 1);
      const overrideCwe = props?.[CWE_KEY];
      let cwe = Array.isArray(overrideCwe) ? stringsOf(overrideCwe) : cweOf(ruleProps, props);
      if (cwe.length === 0 && SECRET_TOOLS.test(toolName)) cwe = ['external/cwe/cwe-798'];
      const severity =
        severityFromNumber(props?.['security-severity']) ??
        severityFromNumber(ruleProps?.['security-severity']) ??
        severityFromWord(props?.['issue_severity']) ??
        severityFromLevel(result.level ?? rule?.defaultConfiguration?.level);
      const title = typeof props?.[TITLE_KEY] === 'string' ? props[TITLE_KEY] : titleOf(rule, ruleId);
      const templated = result.message.id === undefined ? undefined : rule?.messageStrings?.[result.message.id]?.text;
      const message = substitute(result.message.text ?? templated ?? result.message.markdown ?? title, result.message.arguments);
      const remediation =
        typeof props?.[REMEDIATION_KEY] === 'string' ? props[REMEDIATION_KEY] : (rule?.help?.text ?? rule?.fullDescription?.text ?? '');
      const rawSnippet = (region?.snippet?.text ?? location?.contextRegion?.snippet?.text ?? '').trimEnd();
      // a secret scanner's snippet is the secret: mask it before it is stored or shown
      const snippet = cwe.includes('external/cwe/cwe-798') ? redactSecretsIn(rawSnippet, false) : rawSnippet;
      const tools = Array.isArray(props?.[TOOLS_KEY]) ? stringsOf(props[TOOLS_KEY]).join(', ') : toolName;
      const introduced =
        options.introduced !== undefined ? options.introduced(path, startLine, endLine) : result.baselineState !== 'unchanged';
      let fingerprint = result.partialFingerprints?.[FINGERPRINT_KEY];
      if (fingerprint === undefined) {
        const identity = (snippet.length > 0 ? snippet : `${message}@${startLine}`).replace(/\s+/g, ' ').trim();
        const key = `${ruleId}\0${path}\0${identity}`;
        const occurrence = occurrences.get(key) ?? 0;
        occurrences.set(key, occurrence + 1);
        fingerprint = fingerprintOf(`${toolName}:${ruleId}`, path, identity, occurrence);
      }
      const flow: Array<{ path: string; line: number; column: number; message: string }> = [];
      for (const step of result.codeFlows?.[0]?.threadFlows[0]?.locations ?? []) {
        const at = step.location?.physicalLocation;
        const line = at?.region?.startLine;
        if (line === undefined) continue;
        flow.push({ path: pathOf(at?.artifactLocation?.uri, options.root) || path, line, column: at?.region?.startColumn ?? 1, message: step.location?.message?.text ?? '' });
      }
      findings.push({
        ruleId,
        title,
        severity,
        cwe,
        path,
        startLine,
        startColumn,
        endLine,
        endColumn: Math.max(endColumn, 1),
        snippet,
        message,
        remediation,
        introduced,
        tool: tools,
        fingerprint,
        ...(flow.length === 0 ? {} : { flow }),
      });
    }
  }
  return findings;
}
