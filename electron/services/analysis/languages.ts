/**
 * Which language a file is, and loading the tree-sitter grammars for the ones we parse.
 *
 * The runtime comes from `web-tree-sitter` 0.25 and the grammars from `@vscode/tree-sitter-wasm`
 * (ABI 14/15, which that runtime accepts). Both are located with `require.resolve`, so the same code
 * finds them from TypeScript source under vitest/tsx and from the esbuild CommonJS bundles in dist/,
 * without any network access.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Language, Parser } from 'web-tree-sitter';
import { AnalysisFailedError } from './errors';
import { LANGUAGE_IDS, type LanguageId } from './types';

const EXTENSIONS: ReadonlyMap<string, LanguageId> = new Map([
  ['.py', 'python'],
  ['.pyw', 'python'],
  ['.pyi', 'python'],
  ['.js', 'javascript'],
  ['.mjs', 'javascript'],
  ['.cjs', 'javascript'],
  ['.jsx', 'javascript'],
  ['.ts', 'typescript'],
  ['.mts', 'typescript'],
  ['.cts', 'typescript'],
  ['.tsx', 'tsx'],
]);

/** The language of a file from its extension, or from a `#!` line for extensionless scripts. */
export function languageForPath(path: string, text?: string): LanguageId | undefined {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  if (dot > 0) {
    const byExtension = EXTENSIONS.get(base.slice(dot).toLowerCase());
    if (byExtension !== undefined) return byExtension;
    // `.d.ts` and friends are caught above; any other extension is not code we parse.
    return undefined;
  }
  if (text === undefined || !text.startsWith('#!')) return undefined;
  const newline = text.indexOf('\n');
  const shebang = newline === -1 ? text : text.slice(0, newline);
  if (/\bpython[0-9.]*\b/.test(shebang)) return 'python';
  if (/\b(node|deno|bun)\b/.test(shebang)) return 'javascript';
  return undefined;
}

/** The languages of the files a grammar parses (each once). */
export function languagesOf(files: ReadonlyArray<{ readonly path: string; readonly text: string }>): LanguageId[] {
  const found = new Set<LanguageId>();
  for (const file of files) {
    const language = languageForPath(file.path, file.text);
    if (language !== undefined) found.add(language);
  }
  return [...found];
}

/** The grammar file for each language inside `@vscode/tree-sitter-wasm`. */
const GRAMMAR_FILES: Readonly<Record<LanguageId, string>> = {
  python: 'tree-sitter-python.wasm',
  javascript: 'tree-sitter-javascript.wasm',
  typescript: 'tree-sitter-typescript.wasm',
  tsx: 'tree-sitter-tsx.wasm',
};

function resolver(): NodeRequire {
  // `__filename` exists in the CommonJS bundle, under tsx (this package is CommonJS) and under vitest.
  return createRequire(__filename);
}

/** Absolute path of the tree-sitter runtime wasm that matches the `web-tree-sitter` JS we load. */
export function runtimeWasmPath(): string {
  return resolver().resolve('web-tree-sitter/tree-sitter.wasm');
}

/** Absolute path of a grammar wasm file. */
export function grammarWasmPath(language: LanguageId): string {
  const packageJson = resolver().resolve('@vscode/tree-sitter-wasm/package.json');
  return join(dirname(packageJson), 'wasm', GRAMMAR_FILES[language]);
}

// web-tree-sitter keeps its wasm instance in module scope: a second `Parser.init` replaces it and breaks
// every Language loaded before. So the init promise is shared per process (one per worker thread),
// the one piece of module state this service has.
let runtimeReady: Promise<void> | undefined;

function initRuntime(): Promise<void> {
  runtimeReady ??= Parser.init({ locateFile: () => runtimeWasmPath() }).catch((error: unknown) => {
    runtimeReady = undefined;
    throw new AnalysisFailedError(`cannot load the tree-sitter runtime: ${String(error)}`);
  });
  return runtimeReady;
}

/** One parser per language, ready to use. */
export type Grammars = ReadonlyMap<LanguageId, { readonly language: Language; readonly parser: Parser }>;

/**
 * Loads the runtime and the grammars of `languages` (default: every one) from local wasm files. No
 * languages loads nothing, not even the runtime: text that no grammar parses needs none.
 */
export async function loadGrammars(languages: ReadonlyArray<LanguageId> = LANGUAGE_IDS): Promise<Grammars> {
  if (languages.length === 0) return new Map();
  await initRuntime();
  const entries = await Promise.all(
    [...new Set(languages)].map(async (id) => {
      let language: Language;
      try {
        language = await Language.load(readFileSync(grammarWasmPath(id)));
      } catch (error) {
        throw new AnalysisFailedError(`cannot load the ${id} grammar: ${String(error)}`);
      }
      const parser = new Parser();
      parser.setLanguage(language);
      return [id, { language, parser }] as const;
    }),
  );
  return new Map(entries);
}
