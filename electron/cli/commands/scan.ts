/**
 * `gatehouse scan PATH... [--format text|json|sarif] [--out FILE] [--fail-on SEVERITY] [--json]`
 *
 * Scans files and directories with the threat analysis (AST rules and secrets), optionally merging
 * other scanners' SARIF (`--sarif-in`), and prints or writes the report. Exit codes: 0 ok, 1 when a
 * finding at or above `--fail-on` exists, 2 on bad usage or input.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import packageJson from '../../../package.json';
import { Severity, type Finding } from '../../../shared/model/domain';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';
import { decodeSource } from '../../services/analysis/encoding';
import { createAnalyzer, ruleDescriptors, secretRuleDescriptors, severityRank, type RuleDescriptor } from '../../services/analysis/engine';
import { createAnalysisPool, defaultWorkerFile } from '../../services/analysis/pool';
import { builtinRules } from '../../services/analysis/rules';
import { mergeFindings } from '../../services/analysis/merge';
import { importSarif, toSarif } from '../../services/analysis/sarif';
import { DEFAULT_MAX_FILE_BYTES, type AnalysisFile, type AnalysisReport, type ParseError, type SkippedFile } from '../../services/analysis/types';
import { CliExit, emit, EXIT_CHECK_FAILED, EXIT_USAGE } from '../io';

const FORMATS = ['text', 'json', 'sarif'] as const;
type Format = (typeof FORMATS)[number];
// Directories that are never part of a change under review.
const SKIP_DIRS = new Set(['.git', 'node_modules', '.hg', '.svn']);
const MAX_FILES = 200_000;
/**
 * From this much source text (UTF-16 code units) on, the scan runs on a pool of worker threads, one per core
 * (at most 4): below it, starting the threads and loading their grammars costs more than the second core saves.
 */
const POOL_MIN_CHARS = 2 * 1024 * 1024;
// where SARIF consumers read about the tool, when the package names a home page
const homepage = (packageJson as { homepage?: string }).homepage;

interface ScanOptions {
  readonly format?: string;
  readonly out?: string;
  readonly failOn?: string;
  readonly denyImport: string[];
  readonly sarifIn: string[];
  readonly json?: boolean;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function displayPath(absolute: string): string {
  const rel = relative(process.cwd(), absolute);
  const shown = rel === '' || rel.startsWith('..') || isAbsolute(rel) ? absolute : rel;
  return shown.split(sep).join('/');
}

/** Reads the files under the given paths; symlinks are not followed, VCS and dependency folders are skipped. */
function readTargets(paths: ReadonlyArray<string>): { files: AnalysisFile[]; skipped: SkippedFile[] } {
  const files: AnalysisFile[] = [];
  const skipped: SkippedFile[] = [];
  const seen = new Set<string>();
  const visit = (absolute: string, explicit: boolean): void => {
    if (seen.has(absolute)) return;
    seen.add(absolute);
    let stat;
    try {
      stat = lstatSync(absolute);
    } catch {
      throw new GatehouseError(ErrorCode.NotFound, `no such file or directory: ${displayPath(absolute)}`);
    }
    if (stat.isSymbolicLink()) {
      if (explicit) skipped.push({ path: displayPath(absolute), reason: 'symlink', note: 'symbolic link; not followed' });
      return;
    }
    if (stat.isDirectory()) {
      for (const name of readdirSync(absolute).sort()) {
        if (!SKIP_DIRS.has(name)) visit(join(absolute, name), false);
      }
      return;
    }
    if (!stat.isFile()) return;
    const path = displayPath(absolute);
    if (stat.size > DEFAULT_MAX_FILE_BYTES) {
      skipped.push({ path, reason: 'too-large', note: `${stat.size} bytes is over the ${DEFAULT_MAX_FILE_BYTES} limit; not analysed` });
      return;
    }
    if (files.length >= MAX_FILES) throw new CliExit(EXIT_USAGE, `more than ${MAX_FILES} files under the given paths; scan a narrower set`);
    // bytes, decoded by the analyser's rules (UTF-8, or a Python file's PEP 263 declaration)
    files.push({ path, text: decodeSource(path, readFileSync(absolute)) });
  };
  for (const p of paths) visit(resolve(p), true);
  return { files, skipped };
}

/**
 * Analyses the files: in this thread for a small scan, else on the worker pool the console and `verify` use
 * (same engine, same rules, merged into one report in the same order).
 */
async function analyseTargets(
  files: ReadonlyArray<AnalysisFile>,
  deniedImports: ReadonlyArray<string>,
): Promise<{ report: AnalysisReport; rules: ReadonlyArray<RuleDescriptor>; threads: number }> {
  const chars = files.reduce((n, f) => n + f.text.length, 0);
  const threads = Math.min(4, availableParallelism());
  if (chars >= POOL_MIN_CHARS && threads > 1 && existsSync(defaultWorkerFile())) {
    const pool = createAnalysisPool({ deniedImports, size: threads });
    try {
      return { report: await pool.analyze(files), rules: [...ruleDescriptors(builtinRules), ...secretRuleDescriptors()], threads };
    } finally {
      await pool.close();
    }
  }
  const analyzer = await createAnalyzer({ deniedImports });
  try {
    return { report: analyzer.analyzeFiles(files), rules: analyzer.rules, threads: 1 };
  } finally {
    analyzer.close();
  }
}

function summaryOf(findings: ReadonlyArray<Finding>): Record<Severity, number> {
  const counts: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}

function summaryLine(findings: ReadonlyArray<Finding>, files: number, skipped: number, parseErrors: number): string {
  const counts = summaryOf(findings);
  const parts = (['critical', 'high', 'medium', 'low', 'info'] as const).filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`);
  const found = findings.length === 0 ? 'no findings' : `${findings.length} finding${findings.length === 1 ? '' : 's'} (${parts.join(', ')})`;
  const broken = parseErrors > 0 ? `, ${parseErrors} with syntax errors` : '';
  return `${found} in ${files} file${files === 1 ? '' : 's'}${broken}${skipped > 0 ? `, ${skipped} skipped` : ''}`;
}

function textReport(findings: ReadonlyArray<Finding>, skipped: ReadonlyArray<SkippedFile>, parseErrors: ReadonlyArray<ParseError>, files: number): string {
  const lines: string[] = [];
  for (const f of findings) {
    const tool = f.tool === 'gatehouse' ? '' : ` [${f.tool}]`;
    lines.push(`${f.path}:${f.startLine}:${f.startColumn} ${f.severity} ${f.ruleId}${tool}  ${f.title}`);
    for (const line of f.snippet.split('\n').slice(0, 3)) lines.push(`    ${line}`);
    lines.push(`    ${f.message}`);
    if (f.flow !== undefined && f.flow.length > 0) {
      lines.push(`    flow: ${f.flow.map((step) => `${step.line}: ${step.message}`).join(' → ')}`);
    }
    lines.push(`    fix: ${f.remediation}`);
  }
  for (const e of parseErrors) lines.push(`syntax error ${e.path}:${e.line}:${e.column}: ${e.message}; findings on the parts that parse are listed`);
  for (const s of skipped) lines.push(`skipped ${s.path}: ${s.note}`);
  lines.push(summaryLine(findings, files, skipped.length, parseErrors.length));
  return lines.join('\n');
}

/** Registers `gatehouse scan`. */
export function registerScanCommands(program: Command): void {
  program
    .command('scan')
    .description('scan files for threats (code execution, injection, unsafe deserialisation, sandbox escape, secrets, …)')
    .argument('<paths...>', 'files or directories to scan')
    .option('--format <format>', 'report format: text, json or sarif (default text; json with --json)')
    .option('--out <file>', 'write the report to FILE and print a summary')
    .option('--fail-on <severity>', 'exit 1 if a finding of this severity or higher exists (info, low, medium, high, critical)')
    .option('--deny-import <module>', 'report imports of MODULE (repeatable)', collect, [])
    .option('--sarif-in <file>', 'merge results from another scanner’s SARIF file (repeatable)', collect, [])
    .option('--json', 'machine-readable output')
    .action(async (paths: string[], options: ScanOptions) => {
      const json = options.json === true;
      const formatArg = options.format ?? (json ? 'json' : 'text');
      if (!(FORMATS as ReadonlyArray<string>).includes(formatArg)) {
        throw new CliExit(EXIT_USAGE, `--format must be one of ${FORMATS.join(', ')} (got "${formatArg}")`);
      }
      const format = formatArg as Format;
      let failOn: Severity | undefined;
      if (options.failOn !== undefined) {
        const parsed = Severity.safeParse(options.failOn.toLowerCase());
        if (!parsed.success) throw new CliExit(EXIT_USAGE, `--fail-on must be one of ${Severity.options.join(', ')} (got "${options.failOn}")`);
        failOn = parsed.data;
      }

      const imported: Finding[][] = [];
      for (const file of options.sarifIn) {
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch {
          throw new GatehouseError(ErrorCode.NotFound, `cannot read SARIF file ${file}`);
        }
        imported.push([...importSarif(text, { root: process.cwd() })]);
      }

      const startTime = new Date();
      const targets = readTargets(paths);
      const { report, rules, threads } = await analyseTargets(targets.files, options.denyImport);
      const findings = mergeFindings(report.findings, ...imported);
      const skipped = [...targets.skipped, ...report.skipped];
      const parseErrors = report.parseErrors;
      const endTime = new Date();

      const body = (): string => {
        switch (format) {
          case 'sarif':
            return `${JSON.stringify(
              toSarif(findings, {
                rules,
                toolVersion: packageJson.version,
                ...(homepage === undefined ? {} : { informationUri: homepage }),
                root: process.cwd(),
                invocation: { startTime, endTime, parseErrors, skipped },
              }),
              null,
              2,
            )}\n`;
          case 'json':
            return `${JSON.stringify({ findings, skipped, parseErrors, stats: report.stats, summary: summaryOf(findings), threads }, null, 2)}\n`;
          case 'text':
            return `${textReport(findings, skipped, parseErrors, targets.files.length)}\n`;
        }
      };

      if (options.out !== undefined) {
        try {
          writeFileSync(options.out, body());
        } catch (error) {
          throw new GatehouseError(ErrorCode.InvalidInput, `cannot write ${options.out}: ${error instanceof Error ? error.message : String(error)}`);
        }
        emit(json, { out: options.out, format, findings: findings.length, summary: summaryOf(findings), skipped: skipped.length, parseErrors: parseErrors.length }, () =>
          `${summaryLine(findings, targets.files.length, skipped.length, parseErrors.length)}; ${format} report written to ${options.out}`,
        );
      } else if (format === 'text') emit(false, undefined, () => body());
      else process.stdout.write(body());

      if (failOn !== undefined) {
        const threshold = severityRank(failOn);
        if (findings.some((f) => severityRank(f.severity) >= threshold)) process.exitCode = EXIT_CHECK_FAILED;
      }
    });
}
