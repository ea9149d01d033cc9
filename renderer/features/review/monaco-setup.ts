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
