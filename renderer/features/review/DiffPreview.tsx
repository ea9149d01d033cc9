/**
 * A file's diff as plain rows, drawn with the review's first render while Monaco (3 MB of script to
 * compile and start) loads; the diff editor covers it once its own diff is on screen. The reviewer
 * reads the change, with each finding's severity on its line and hidden characters spelled out, from
 * the first frame instead of after Monaco's start-up — on a console's very first start that start-up
 * is most of a second on two cores.
 *
 * No Monaco here (this module is in the review's own chunk). A diff that does not finish within its
 * budget, or a file with no text, shows `fallback` instead.
 *
 * DOM signals for tests: `data-testid="diff-preview"`, `data-path`, `data-state="diff"` once rows are
 * drawn, `data-finding-lines` (head lines drawn with a finding glyph) and `data-hidden-lines` (head lines
 * drawn that hold hidden characters; their glyph gives way to a finding's on the same line).
 */
import { useMemo, type ReactNode } from 'react';
import type { FileChangeView, FileContentsView } from '../../../shared/ipc/channels/review';
import type { Finding, Severity } from '../../../shared/model/domain';
import { previewRows, visibleSegments, type PreviewCell } from './diff-preview-model';
import { severityRank } from './review-model';

/** Rows drawn: the pane shows about fifty; the rest comes with the editor. */
const MAX_ROWS = 400;
/** jsdiff's budget: past it the first render does not wait, and the editor's diff is awaited instead. */
const DIFF_BUDGET_MS = 30;
/** Characters of a line drawn; the rest is counted (the editor shows all of it). */
const MAX_LINE_CHARS = 1000;

/** Props of {@link DiffPreview}. */
export interface DiffPreviewProps {
  readonly file: FileChangeView;
  readonly contents: FileContentsView;
  readonly findings: ReadonlyArray<Finding>;
  readonly inline: boolean;
  readonly hideWhitespace: boolean;
  /** Shown when there is no preview to draw. */
  readonly fallback: ReactNode;
  /** Drawn over the diff editor while it starts (DiffPane), rather than in its place. */
  readonly overlay?: boolean;
}

/** The findings of each head line (a finding sits on its first line, clamped into the file as Monaco's marker is). */
function findingsByLine(findings: ReadonlyArray<Finding>, modified: string | null): ReadonlyMap<number, ReadonlyArray<Finding>> {
  const byLine = new Map<number, Finding[]>();
  if (modified === null) return byLine;
  let lines = 1;
  for (let at = modified.indexOf('\n'); at !== -1; at = modified.indexOf('\n', at + 1)) lines += 1;
  for (const finding of findings) {
    const line = Math.min(Math.max(1, finding.startLine), lines);
    byLine.set(line, [...(byLine.get(line) ?? []), finding]);
  }
  return byLine;
}

function worstOf(findings: ReadonlyArray<Finding>): Severity {
  return findings.reduce<Severity>((worst, finding) => (severityRank(finding.severity) > severityRank(worst) ? finding.severity : worst), 'info');
}

function LineText({ text }: { readonly text: string }) {
  return (
    <>
      {visibleSegments(text).map((segment, index) =>
        'codePoint' in segment ? (
          <span key={index} className="diff-preview-invisible" title={`Invisible character ${segment.codePoint}`}>
            {segment.codePoint}
          </span>
        ) : (
          segment.text
        ),
      )}
    </>
  );
}

const SIGN = { context: ' ', added: '+', removed: '−' } as const;
const SIDE_WORD = { context: 'unchanged', added: 'added', removed: 'removed' } as const;

/** One side of a row: its number, its finding and hidden-character glyphs (head side), its sign and text. */
function Cell({
  cell,
  side,
  findings,
  hidden,
  numbered = true,
}: {
  readonly cell: PreviewCell | null;
  readonly side: 'base' | 'head';
  readonly findings: ReadonlyArray<Finding>;
  readonly hidden: boolean;
  /** False in the one-column view's removed rows, whose number is in the base column before this cell. */
  readonly numbered?: boolean;
}) {
  if (cell === null) {
    return (
      <>
        <td className="diff-preview-number" />
        <td className={`diff-preview-text diff-preview-empty diff-preview-${side}`} />
      </>
    );
  }
  const worst = findings.length === 0 ? null : worstOf(findings);
  const rowClass = worst !== null ? ` gh-finding-line-${worst}` : hidden ? ' gh-hidden-line' : '';
  return (
    <>
      <td className="diff-preview-number">
        {worst !== null && (
          <span className={`gh-glyph gh-glyph-${worst}`} role="img" aria-label={`${findings.length} finding${findings.length === 1 ? '' : 's'}, worst ${worst}`} title={findings.map((finding) => `${finding.severity.toUpperCase()} ${finding.ruleId}: ${finding.title}`).join('\n')} />
        )}
        {worst === null && hidden && <span className="gh-glyph gh-glyph-hidden" role="img" aria-label="hidden characters on this line" title="Hidden characters (bidirectional-control or zero-width) on this line" />}
        {numbered ? cell.line : ''}
      </td>
      <td className={`diff-preview-text diff-preview-${cell.kind}${rowClass}`}>
        <span className="visually-hidden">{`${SIDE_WORD[cell.kind]}: `}</span>
        <span className="diff-preview-sign" aria-hidden="true">
          {SIGN[cell.kind]}
        </span>
        <LineText text={cell.text} />
        {cell.cut > 0 && <span className="diff-preview-cut">{` … ${cell.cut} more characters, shown once the diff editor has loaded`}</span>}
      </td>
    </>
  );
}

/** The plain diff of one file (see the file header). */
export function DiffPreview({ file, contents, findings, inline, hideWhitespace, fallback, overlay = false }: DiffPreviewProps) {
  const model = useMemo(
    () => previewRows(contents.original, contents.modified, { sideBySide: !inline, ignoreWhitespace: hideWhitespace, maxRows: MAX_ROWS, timeoutMs: DIFF_BUDGET_MS, maxLineChars: MAX_LINE_CHARS }),
    [contents.original, contents.modified, inline, hideWhitespace],
  );
  const byLine = useMemo(() => findingsByLine(findings, contents.modified), [findings, contents.modified]);
  const hiddenLines = useMemo(() => new Set(file.hiddenCharLines), [file.hiddenCharLines]);
  // Head lines drawn (changed lines and their context; a finding on an unchanged line far from any
  // change is in the findings panel, and on its line once the editor shows the whole file).
  const drawnHeadLines = useMemo(
    () => (model === null ? [] : model.rows.flatMap((row) => (row.type === 'line' && row.head !== null ? [row.head.line] : []))),
    [model],
  );
  if (model === null || (contents.original === null && contents.modified === null)) return <>{fallback}</>;
  const headCell = (cell: PreviewCell | null) => (
    <Cell cell={cell} side="head" findings={cell === null || cell.kind === 'removed' ? [] : (byLine.get(cell.line) ?? [])} hidden={cell !== null && cell.kind !== 'removed' && hiddenLines.has(cell.line)} />
  );
  const baseCell = (cell: PreviewCell | null, numbered = true) => <Cell cell={cell} side="base" findings={[]} hidden={false} numbered={numbered} />;
  return (
    <div
      className={overlay ? 'diff-preview diff-preview-overlay' : 'diff-preview'}
      data-testid="diff-preview"
      data-path={contents.path}
      data-state="diff"
      data-view={inline ? 'inline' : 'side-by-side'}
      data-finding-lines={drawnHeadLines.filter((line) => byLine.has(line)).join(',')}
      data-hidden-lines={drawnHeadLines.filter((line) => hiddenLines.has(line)).join(',')}
      role="region"
      aria-label={`Diff of ${contents.path}, plain view while the diff editor loads`}
      tabIndex={0}
    >
      <table className="diff-preview-table">
        <caption className="visually-hidden">{`Changes to ${contents.path}: ${inline ? 'one column, removed lines before added ones' : 'base on the left, this revision on the right'}`}</caption>
        {/* Column widths are fixed here: a fixed table takes them from its first row, a hunk header spanning all. */}
        <colgroup>
          {inline ? (
            <>
              <col className="diff-preview-number-column" />
              <col className="diff-preview-number-column" />
              <col />
            </>
          ) : (
            <>
              <col className="diff-preview-number-column" />
              <col />
              <col className="diff-preview-number-column" />
              <col />
            </>
          )}
        </colgroup>
        <tbody>
          {model.rows.map((row, index) =>
            row.type === 'hunk' ? (
              <tr key={index} className="diff-preview-hunk">
                <td colSpan={inline ? 3 : 4}>{row.header}</td>
              </tr>
            ) : inline ? (
              <tr key={index}>
                <td className="diff-preview-number">{row.base?.line ?? ''}</td>
                {row.head === null ? baseCell(row.base, false) : headCell(row.head)}
              </tr>
            ) : (
              <tr key={index}>
                {baseCell(row.base)}
                {headCell(row.head)}
              </tr>
            ),
          )}
          {model.moreRows > 0 && (
            <tr className="diff-preview-hunk">
              <td colSpan={inline ? 3 : 4}>{`${model.moreRows} more rows: shown once the diff editor has loaded.`}</td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
