/** Pure helpers of the review view: finding order, file order, warnings, CWE labels. */
import type { FileChangeView, FileContentsView } from '../../../shared/ipc/channels/review';
import { Severity, type Finding } from '../../../shared/model/domain';
import { comparePaths } from '../../../shared/model/review-order';

/** Higher is worse. */
export function severityRank(severity: Severity): number {
  return Severity.options.indexOf(severity);
}

export { firstFileToOpen, orderFiles } from '../../../shared/model/review-order';

/** The findings panel's order: introduced first, then worst first, then by place. */
export function orderFindingsForPanel(findings: ReadonlyArray<Finding>): ReadonlyArray<Finding> {
  return [...findings].sort(
    (a, b) =>
      Number(b.introduced) - Number(a.introduced) ||
      severityRank(b.severity) - severityRank(a.severity) ||
      comparePaths(a.path, b.path) ||
      a.startLine - b.startLine ||
      a.startColumn - b.startColumn,
  );
}

/** The n/p order: file by file in tree order, top to bottom within a file. */
export function orderFindingsForWalk(findings: ReadonlyArray<Finding>): ReadonlyArray<Finding> {
  return [...findings].sort(
    (a, b) => comparePaths(a.path, b.path) || a.startLine - b.startLine || a.startColumn - b.startColumn || a.ruleId.localeCompare(b.ruleId),
  );
}

/** A stable identity for a finding on screen. */
export function findingKey(finding: Finding): string {
  return `${finding.fingerprint}:${finding.path}:${finding.startLine}:${finding.startColumn}:${finding.ruleId}`;
}

/** `external/cwe/cwe-95` → `CWE-95`. */
export function cweLabel(tag: string): string {
  const match = /cwe-(\d+)$/i.exec(tag);
  return match === null ? tag : `CWE-${match[1]}`;
}

/** The worst severity among findings, or null. */
export function worstSeverity(findings: ReadonlyArray<Finding>): Severity | null {
  let worst: Severity | null = null;
  for (const finding of findings) {
    if (worst === null || severityRank(finding.severity) > severityRank(worst)) worst = finding.severity;
  }
  return worst;
}

/** One warning about a file's content. */
export interface FileWarning {
  readonly kind: 'binary' | 'too-large' | 'invalid-utf8' | 'hidden-chars' | 'crlf' | 'whitespace-only' | 'gitlink' | 'mode' | 'note';
  readonly severe: boolean;
  readonly message: string;
}

function lineList(lines: ReadonlyArray<number>): string {
  const shown = lines.slice(0, 8).join(', ');
  return lines.length > 8 ? `${shown} and ${lines.length - 8} more` : shown;
}

/** What a reviewer must know about a file before trusting what the diff shows. */
export function fileWarnings(file: FileChangeView, contents: FileContentsView | undefined): ReadonlyArray<FileWarning> {
  const warnings: FileWarning[] = [];
  if (file.hiddenCharLines.length > 0) {
    warnings.push({
      kind: 'hidden-chars',
      severe: true,
      message: `Bidirectional-control or zero-width characters on line${file.hiddenCharLines.length === 1 ? '' : 's'} ${lineList(file.hiddenCharLines)}: the text may not read the way it runs (CVE-2021-42574).`,
    });
  }
  if (file.invalidUtf8) warnings.push({ kind: 'invalid-utf8', severe: true, message: 'Not valid UTF-8: some bytes are shown as replacement characters.' });
  if (file.binary) warnings.push({ kind: 'binary', severe: true, message: 'Binary file: its content is not shown. Review it outside the console.' });
  if (file.tooLarge) warnings.push({ kind: 'too-large', severe: true, message: 'Too large to show here: review it with git outside the console.' });
  if (file.gitlink) warnings.push({ kind: 'gitlink', severe: true, message: 'Submodule (gitlink) change: the pointed-to commit is not fetched or shown.' });
  if (file.status === 'mode-only') warnings.push({ kind: 'mode', severe: false, message: 'Only the file mode changed (e.g. made executable).' });
  if (file.status === 'type-change') warnings.push({ kind: 'mode', severe: true, message: 'The file changed type (e.g. a file became a symlink).' });
  if (file.crlf) warnings.push({ kind: 'crlf', severe: false, message: 'Uses CRLF line endings.' });
  if (file.whitespaceOnly) warnings.push({ kind: 'whitespace-only', severe: false, message: 'Only whitespace changed.' });
  for (const message of contents?.warnings ?? []) {
    if (!warnings.some((warning) => warning.message === message)) warnings.push({ kind: 'note', severe: false, message });
  }
  return warnings;
}

/** The one-letter status a file tree shows. */
export function statusLetter(status: FileChangeView['status']): string {
  switch (status) {
    case 'added':
      return 'A';
    case 'modified':
      return 'M';
    case 'deleted':
      return 'D';
    case 'renamed':
      return 'R';
    case 'mode-only':
      return 'X';
    case 'type-change':
      return 'T';
  }
}

/** How the findings panel groups findings. */
export type FindingGrouping = 'rule' | 'file';
/** Which findings the status filter keeps. */
export type FindingStatusFilter = 'all' | 'introduced' | 'pre-existing';

/** One group of the findings panel. */
export interface FindingGroupView {
  readonly key: string;
  readonly title: string;
  /** The rule's CWE ids for a rule group, the directory for a file group. */
  readonly subtitle: string;
  readonly worst: Severity;
  readonly findings: ReadonlyArray<Finding>;
}

/**
 * Findings (already in panel order) grouped by rule or by file; groups worst first, then largest, then
 * by name. Within a group the panel order holds.
 */
export function groupFindings(findings: ReadonlyArray<Finding>, by: FindingGrouping): ReadonlyArray<FindingGroupView> {
  const groups = new Map<string, Finding[]>();
  for (const finding of findings) {
    const key = by === 'rule' ? finding.ruleId : finding.path;
    const list = groups.get(key);
    if (list === undefined) groups.set(key, [finding]);
    else list.push(finding);
  }
  const views: FindingGroupView[] = [];
  for (const [key, list] of groups) {
    const first = list[0] as Finding;
    const worst = worstSeverity(list) ?? first.severity;
    views.push({
      key,
      title: by === 'rule' ? first.title : key,
      subtitle: by === 'rule' ? [...new Set(list.flatMap((finding) => finding.cwe.map(cweLabel)))].join(', ') : '',
      worst,
      findings: list,
    });
  }
  return views.sort(
    (a, b) => severityRank(b.worst) - severityRank(a.worst) || b.findings.length - a.findings.length || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
}
