/**
 * The Monaco diff of one file, with findings as markers (squiggles + hover) on the lines they concern
 * and a gutter glyph per finding; hidden-character lines get their own glyph.
 *
 * DOM signals for tests: the container carries `data-diff-ready="true"`, `data-markers="<count>"` and
 * `data-marker-lines="7,12"` (the new-side lines holding a marker) once the diff is computed and the
 * markers are set for `data-path`.
 */
import { DiffEditor, type MonacoDiffEditor } from '@monaco-editor/react';
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import type { FileChangeView, FileContentsView } from '../../../shared/ipc/channels/review';
import type { Finding, Severity } from '../../../shared/model/domain';
import type { ColorScheme } from '../../app/theme';
import { Loading } from '../../components/Loading';
import { DiffPreview } from './DiffPreview';
import { DIFF_THEMES, monaco, resolveLanguage } from './monaco-setup';
import type { CommentSide, CommentView } from '../../../shared/ipc/channels/comments';

/** A request to show a line (a new nonce re-reveals the same line). */
export interface RevealTarget {
  readonly path: string;
  readonly line: number;
  readonly column: number;
  readonly nonce: number;
}

/** Props of {@link DiffPane}. */
export interface DiffPaneProps {
  readonly file: FileChangeView;
  readonly contents: FileContentsView;
  readonly findings: ReadonlyArray<Finding>;
  readonly inline: boolean;
  /** Hide changes in leading and trailing whitespace (the reviewer's toggle; off by default). */
  readonly hideWhitespace?: boolean;
  readonly scheme: ColorScheme;
  readonly reveal: RevealTarget | null;
  /** Comments on this file that have a line in the current revision (drafts and published). */
  readonly comments?: ReadonlyArray<CommentView>;
  /** The diff of `path` is computed and its markers are set (called once per file shown). */
  readonly onDrawn?: (path: string) => void;
  /** A line was chosen to comment on: a click on its number, or the cursor moved to it. */
  readonly onLineSelect?: (side: CommentSide, line: number) => void;
}

function markerSeverity(severity: Severity): monaco.MarkerSeverity {
  switch (severity) {
    case 'critical':
    case 'high':
      return monaco.MarkerSeverity.Error;
    case 'medium':
      return monaco.MarkerSeverity.Warning;
    case 'low':
    case 'info':
      return monaco.MarkerSeverity.Info;
  }
}

function rulerColor(severity: Severity): string {
  switch (severity) {
    case 'critical':
    case 'high':
      return '#d1242f';
    case 'medium':
      return '#bf8700';
    case 'low':
    case 'info':
      return '#0969da';
  }
}

/** Clamps a finding's range into the model, so a stale line number never throws. */
function clampRange(model: monaco.editor.ITextModel, finding: Finding): monaco.IRange {
  const lines = model.getLineCount();
  const startLineNumber = Math.min(Math.max(1, finding.startLine), lines);
  const endLineNumber = Math.min(Math.max(startLineNumber, finding.endLine), lines);
  const startColumn = Math.min(Math.max(1, finding.startColumn), model.getLineMaxColumn(startLineNumber));
  let endColumn = Math.min(Math.max(1, finding.endColumn), model.getLineMaxColumn(endLineNumber));
  if (endLineNumber === startLineNumber && endColumn <= startColumn) endColumn = model.getLineMaxColumn(endLineNumber);
  return { startLineNumber, startColumn, endLineNumber, endColumn };
}

function findingHover(finding: Finding): string {
  const origin = finding.introduced ? 'introduced by this revision' : 'pre-existing';
  return `**${finding.severity.toUpperCase()}** \`${finding.ruleId}\` — ${finding.title} (${origin})\n\n${finding.message}`;
}

let warmed = false;

/**
 * Pays Monaco's one-time costs (editor services, the diff worker, the first tokenizer) before the
 * reviewer opens a proposal, with an off-screen diff of two lines that is disposed as soon as its diff
 * is computed. Runs once per page.
 */
export function warmUpDiffEditor(): void {
  if (warmed) return;
  warmed = true;
  const start = performance.now();
  // Monaco stops its diff worker whenever no model is left (leaving a review disposes the models), and
  // booting a new one costs a few hundred milliseconds on every open: an empty model kept for the life
  // of the page keeps the worker (Monaco still stops it after 5 idle minutes).
  monaco.editor.createModel('', 'plaintext', monaco.Uri.parse('gatehouse-keepalive:/diff-worker'));
  const host = document.createElement('div');
  host.style.cssText = 'position:fixed;left:-10000px;top:0;width:400px;height:200px;visibility:hidden';
  host.setAttribute('aria-hidden', 'true');
  document.body.append(host);
  const diff = monaco.editor.createDiffEditor(host, { readOnly: true, automaticLayout: false });
  const original = monaco.editor.createModel('a = 1\n', 'python');
  const modified = monaco.editor.createModel('a = 2\n', 'python');
  diff.setModel({ original, modified });
  const done = diff.onDidUpdateDiff(() => {
    done.dispose();
    diff.dispose();
    original.dispose();
    modified.dispose();
    host.remove();
    // A signal for benchmarks: opening a proposal from now on pays no Monaco start-up.
    document.body.dataset.editorWarm = String(Math.round(performance.now() - start));
  });
}

/** The diff editor for one file. */
export function DiffPane({ file, contents, findings, inline, hideWhitespace = false, scheme, reveal, comments = [], onDrawn, onLineSelect }: DiffPaneProps) {
  const [editor, setEditor] = useState<MonacoDiffEditor | null>(null);
  // Models are named per pane, so a pane mounting while another unmounts never shares one.
  const instance = useId().replace(/[^A-Za-z0-9]/g, '');
  const [ready, setReady] = useState<{ readonly path: string; readonly markers: number; readonly lines: string } | null>(null);
  const decorations = useRef<monaco.editor.IEditorDecorationsCollection | null>(null);
  const lastTexts = useRef<{ original: string; modified: string } | null>(null);
  const language = useMemo(() => resolveLanguage(contents.language, contents.path), [contents.language, contents.path]);
  const original = contents.original ?? '';
  const modified = contents.modified ?? '';

  const options = useMemo<monaco.editor.IDiffEditorConstructionOptions>(
    () => ({
      readOnly: true,
      originalEditable: false,
      renderSideBySide: !inline,
      useInlineViewWhenSpaceIsLimited: false,
      glyphMargin: true,
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
      fontSize: 13,
      lineNumbersMinChars: 4,
      // Whitespace can change meaning (Python, YAML, Makefiles): shown unless the reviewer hides it.
      ignoreTrimWhitespace: hideWhitespace,
      renderControlCharacters: true,
      unicodeHighlight: { invisibleCharacters: true, ambiguousCharacters: true, nonBasicASCII: false },
      renderMarginRevertIcon: false,
      renderIndicators: true,
      domReadOnly: true,
    }),
    [inline, hideWhitespace],
  );

  // Monaco's text boxes need names (WCAG 4.1.2). The diff editor's originalAriaLabel / modifiedAriaLabel
  // options arrive empty in 0.57, so each side is named on its own editor.
  useEffect(() => {
    if (editor === null) return;
    editor.getOriginalEditor().updateOptions({ ariaLabel: `${contents.path}, before (base), read-only` });
    editor.getModifiedEditor().updateOptions({ ariaLabel: `${contents.path}, after (this revision), read-only` });
  }, [editor, contents.path]);

  // Markers and glyphs for this file, then "ready" once the diff for these texts is computed.
  useEffect(() => {
    if (editor === null) return undefined;
    setReady(null);
    const modifiedEditor = editor.getModifiedEditor();
    const model = modifiedEditor.getModel();
    if (model === null) return undefined;
    const shown = contents.modified === null ? [] : findings;
    monaco.editor.setModelMarkers(
      model,
      'gatehouse',
      shown.map((finding) => ({
        ...clampRange(model, finding),
        severity: markerSeverity(finding.severity),
        message: `${finding.title}: ${finding.message}${finding.introduced ? '' : ' (pre-existing)'}`,
        source: finding.tool,
        code: finding.ruleId,
      })),
    );
    const lineCount = model.getLineCount();
    const glyphs: monaco.editor.IModelDeltaDecoration[] = shown.map((finding) => {
      const range = clampRange(model, finding);
      return {
        range: { startLineNumber: range.startLineNumber, startColumn: 1, endLineNumber: range.startLineNumber, endColumn: 1 },
        options: {
          isWholeLine: true,
          className: `gh-finding-line gh-finding-line-${finding.severity}`,
          glyphMarginClassName: `gh-glyph gh-glyph-${finding.severity}`,
          glyphMarginHoverMessage: { value: findingHover(finding) },
          overviewRuler: { color: rulerColor(finding.severity), position: monaco.editor.OverviewRulerLane.Left },
          stickiness: monaco.editor.TrackedRangeStickiness.NeverGrowsWhenTypingAtEdges,
        },
      };
    });
    for (const line of file.hiddenCharLines) {
      if (line < 1 || line > lineCount) continue;
      glyphs.push({
        range: { startLineNumber: line, startColumn: 1, endLineNumber: line, endColumn: 1 },
        options: {
          isWholeLine: true,
          className: 'gh-hidden-line',
          glyphMarginClassName: 'gh-glyph gh-glyph-hidden',
          glyphMarginHoverMessage: { value: '**Hidden characters** — bidirectional-control or zero-width characters on this line (CVE-2021-42574).' },
          overviewRuler: { color: '#8250df', position: monaco.editor.OverviewRulerLane.Left },
        },
      });
    }
    decorations.current ??= modifiedEditor.createDecorationsCollection();
    decorations.current.set(glyphs);

    const markerCount = shown.length;
    const markerLines = [...new Set(shown.map((finding) => clampRange(model, finding).startLineNumber))].sort((a, b) => a - b).join(',');
    const path = contents.path;
    const previous = lastTexts.current;
    lastTexts.current = { original, modified };
    const unchanged = previous === null || (previous.original === original && previous.modified === modified);
    if (unchanged && editor.getLineChanges() !== null) {
      // These texts were already diffed (the first texts of a new editor, or the same texts again):
      // no further diff update will come, the result on screen stands.
      setReady({ path, markers: markerCount, lines: markerLines });
      return undefined;
    }
    const subscription = editor.onDidUpdateDiff(() => setReady({ path, markers: markerCount, lines: markerLines }));
    return () => subscription.dispose();
  }, [editor, contents, findings, file.hiddenCharLines, original, modified]);

  useEffect(() => {
    if (editor === null || reveal === null || reveal.path !== contents.path || ready?.path !== contents.path) return;
    const modifiedEditor = editor.getModifiedEditor();
    modifiedEditor.revealLineInCenter(reveal.line, monaco.editor.ScrollType.Smooth);
    modifiedEditor.setPosition({ lineNumber: reveal.line, column: reveal.column });
  }, [editor, reveal, contents.path, ready]);

  // Comments sit on their line in each side's editor: a glyph and the text on hover.
  const commentDecorations = useRef<{ original: monaco.editor.IEditorDecorationsCollection; modified: monaco.editor.IEditorDecorationsCollection } | null>(null);
  useEffect(() => {
    if (editor === null) return;
    commentDecorations.current ??= {
      original: editor.getOriginalEditor().createDecorationsCollection(),
      modified: editor.getModifiedEditor().createDecorationsCollection(),
    };
    const forSide = (side: CommentSide): monaco.editor.IModelDeltaDecoration[] =>
      comments
        .filter((comment) => comment.side === side && comment.currentLine !== null)
        .map((comment) => ({
          range: { startLineNumber: comment.currentLine ?? 1, startColumn: 1, endLineNumber: comment.currentLine ?? 1, endColumn: 1 },
          options: {
            isWholeLine: true,
            className: comment.state === 'draft' ? 'gh-comment-line gh-comment-draft' : 'gh-comment-line',
            linesDecorationsClassName: comment.state === 'draft' ? 'gh-comment-mark gh-comment-mark-draft' : 'gh-comment-mark',
            hoverMessage: { value: `**${comment.authorName}${comment.state === 'draft' ? ' (draft)' : ''}:** ${comment.body}` },
          },
        }));
    commentDecorations.current.original.set(forSide('base'));
    commentDecorations.current.modified.set(forSide('head'));
  }, [editor, comments, ready]);

  // A click on a line number, or the cursor on a line, chooses the line to comment on.
  const lineSelect = useRef(onLineSelect);
  lineSelect.current = onLineSelect;
  useEffect(() => {
    if (editor === null) return undefined;
    const subscriptions = (['base', 'head'] as const).flatMap((side) => {
      const sideEditor = side === 'base' ? editor.getOriginalEditor() : editor.getModifiedEditor();
      return [
        sideEditor.onMouseDown((event) => {
          if (event.target.type === monaco.editor.MouseTargetType.GUTTER_LINE_NUMBERS && event.target.position !== null) {
            lineSelect.current?.(side, event.target.position.lineNumber);
          }
        }),
        sideEditor.onDidChangeCursorPosition((event) => lineSelect.current?.(side, event.position.lineNumber)),
      ];
    });
    return () => {
      for (const subscription of subscriptions) subscription.dispose();
      commentDecorations.current = null;
    };
  }, [editor]);

  // @monaco-editor/react disposes models before their editor, which Monaco 0.57 reports as an error;
  // it keeps them here (keepCurrent*Model) and they are disposed once the editor is gone.
  useEffect(() => {
    if (editor === null) return undefined;
    // Taken now: by cleanup time the editor may already be disposed and hold no model.
    const models = editor.getModel();
    return () => {
      decorations.current = null;
      queueMicrotask(() => {
        models?.original.dispose();
        models?.modified.dispose();
      });
    };
  }, [editor]);

  const isReady = ready !== null && ready.path === contents.path;
  // The plain diff covers the editor until the editor's first diff is on screen; after that a file
  // switch keeps the editor's last diff in view until the next one is computed, as Monaco does.
  // (Taken in the same render as `data-diff-ready`, so nothing waiting on that signal meets the cover.)
  const [editorWasShown, setEditorWasShown] = useState(false);
  const editorShown = editorWasShown || isReady;
  useEffect(() => {
    if (isReady) setEditorWasShown(true);
  }, [isReady]);
  const drawn = useRef(onDrawn);
  drawn.current = onDrawn;
  const readyPath = isReady ? ready.path : null;
  useEffect(() => {
    if (readyPath !== null) drawn.current?.(readyPath);
  }, [readyPath]);
  return (
    <div
      className="diff-editor"
      data-testid="diff-editor"
      data-path={contents.path}
      data-diff-ready={isReady ? 'true' : 'false'}
      data-markers={isReady ? String(ready.markers) : ''}
      data-marker-lines={isReady ? ready.lines : ''}
      data-view={inline ? 'inline' : 'side-by-side'}
      role="region"
      aria-label={`Diff of ${contents.path}`}
      aria-busy={!isReady}
    >
      {!editorShown && <DiffPreview file={file} contents={contents} findings={findings} inline={inline} hideWhitespace={hideWhitespace} fallback={null} overlay />}
      {/* Out of the tab order and of the accessibility tree while the plain diff covers it. */}
      <div className="diff-editor-host" inert={!editorShown}>
        <DiffEditor
          original={original}
          modified={modified}
          language={language}
          originalModelPath={`gatehouse-diff:/${instance}/original`}
          modifiedModelPath={`gatehouse-diff:/${instance}/modified`}
          keepCurrentOriginalModel
          keepCurrentModifiedModel
          theme={scheme === 'dark' ? DIFF_THEMES.dark : DIFF_THEMES.light}
          options={options}
          loading={<Loading label="Loading the diff editor…" />}
          onMount={(mounted) => setEditor(mounted)}
        />
      </div>
    </div>
  );
}
