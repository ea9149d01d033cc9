/**
 * The bundled Monaco (no CDN): the editor API, the language contributions the console highlights, and
 * @monaco-editor/react pointed at this instance so its loader never fetches anything.
 */
import './monaco-environment';
import { loader } from '@monaco-editor/react';
import * as monaco from 'monaco-editor/editor/editor.api';
// Editor features the review needs: hovers (finding messages), find, folding, copy, the context menu,
// highlighting of invisible and confusable characters, and the diff editor's own contributions.
import 'monaco-editor/features/hover/register';
import 'monaco-editor/features/find/register';
import 'monaco-editor/features/folding/register';
import 'monaco-editor/features/clipboard/register';
import 'monaco-editor/features/contextmenu/register';
import 'monaco-editor/features/unicodeHighlighter/register';
import 'monaco-editor/features/bracketMatching/register';
import 'monaco-editor/features/diffEditor/register';
import 'monaco-editor/features/codicon/register';
// Syntax highlighting (Monarch tokenizers, loaded lazily per language).
import 'monaco-editor/languages/definitions/python/register';
import 'monaco-editor/languages/definitions/javascript/register';
import 'monaco-editor/languages/definitions/typescript/register';
import 'monaco-editor/languages/definitions/yaml/register';
import 'monaco-editor/languages/definitions/markdown/register';
import 'monaco-editor/languages/definitions/shell/register';
import 'monaco-editor/languages/definitions/dockerfile/register';
import 'monaco-editor/languages/definitions/ini/register';
import 'monaco-editor/languages/definitions/html/register';
import 'monaco-editor/languages/definitions/css/register';
import 'monaco-editor/languages/definitions/xml/register';
import 'monaco-editor/languages/definitions/go/register';
import 'monaco-editor/languages/definitions/rust/register';
import 'monaco-editor/languages/definitions/java/register';
import 'monaco-editor/languages/definitions/sql/register';
import 'monaco-editor/languages/definitions/ruby/register';
import 'monaco-editor/languages/definitions/cpp/register';
import 'monaco-editor/languages/definitions/csharp/register';
import 'monaco-editor/languages/definitions/php/register';
import 'monaco-editor/languages/definitions/powershell/register';
// JSON has no Monarch grammar; its language feature tokenizes on the main thread.
import { jsonDefaults } from 'monaco-editor/languages/features/json/register';

// Only tokens and folding: schema requests, validation squiggles and completions have no place in a
// read-only review (validation markers would also mix with the findings).
jsonDefaults.setDiagnosticsOptions({ validate: false, enableSchemaRequest: false, schemas: [] });
jsonDefaults.setModeConfiguration({
  tokens: true,
  foldingRanges: true,
  colors: false,
  completionItems: false,
  hovers: false,
  documentSymbols: false,
  documentFormattingEdits: false,
  documentRangeFormattingEdits: false,
  diagnostics: false,
  selectionRanges: false,
});

loader.config({ monaco });

export { monaco };

/** Monaco's language id for a file: the id main suggests when Monaco knows it, else by file name. */
export function resolveLanguage(hint: string, path: string): string {
  const languages = monaco.languages.getLanguages();
  const lowerHint = hint.toLowerCase();
  const byId = languages.find((language) => language.id === lowerHint || (language.aliases ?? []).some((alias) => alias.toLowerCase() === lowerHint));
  if (byId !== undefined) return byId.id;
  const name = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  const byName = languages.find(
    (language) =>
      (language.filenames ?? []).some((file) => file.toLowerCase() === name) ||
      (language.extensions ?? []).some((extension) => name.endsWith(extension.toLowerCase())),
  );
  return byName?.id ?? 'plaintext';
}

/**
 * The diff editor's themes: Monaco's own, with diff backgrounds and token colours chosen so that every
 * token keeps a 4.5:1 contrast (WCAG 2.1 AA) on the editor background and on added/removed lines and
 * ranges — Monaco's defaults fall to 2.6:1 for keywords on an added range in the dark theme.
 */
export const DIFF_THEMES = { light: 'gatehouse-light', dark: 'gatehouse-dark' } as const;

monaco.editor.defineTheme(DIFF_THEMES.light, {
  base: 'vs',
  inherit: true,
  rules: [
    { token: 'comment', foreground: '005a00' },
    { token: 'type', foreground: '17596b' },
    { token: 'number', foreground: '055e3d' },
  ],
  colors: {
    'editorLineNumber.foreground': '#4f5a66',
    'editorLineNumber.activeForeground': '#1d232b',
    'editorLineNumber.dimmedForeground': '#4f5a66',
    'diffEditor.insertedLineBackground': '#e6f4d9',
    'diffEditor.insertedTextBackground': '#d3ecc0',
    'diffEditor.removedLineBackground': '#fbe3e3',
    'diffEditor.removedTextBackground': '#f6cfcf',
  },
});

monaco.editor.defineTheme(DIFF_THEMES.dark, {
  base: 'vs-dark',
  inherit: true,
  rules: [
    { token: 'keyword', foreground: '8cbff0' },
    { token: 'comment', foreground: '92c77d' },
    { token: 'regexp', foreground: 'ec9a9a' },
    { token: 'string', foreground: 'e0ae94' },
  ],
  colors: {
    'editorLineNumber.foreground': '#a3adba',
    'editorLineNumber.activeForeground': '#dfe4ea',
    'editorLineNumber.dimmedForeground': '#a3adba',
    'diffEditor.insertedLineBackground': '#1f3325',
    'diffEditor.insertedTextBackground': '#2a4430',
    'diffEditor.removedLineBackground': '#3a2124',
    'diffEditor.removedTextBackground': '#4a2a2e',
  },
});
