/**
 * Test helpers: one shared analyser per test file (grammar loading is the slow part) and a
 * one-file analysis shortcut.
 */
import type { Finding } from '../../../../shared/model/domain';
import { createAnalyzer, type Analyzer } from '../../../../electron/services/analysis/engine';

const analyzers = new Map<string, Promise<Analyzer>>();

/** An analyser with the given deny list, created once per test file. */
export function sharedAnalyzer(deniedImports: ReadonlyArray<string> = []): Promise<Analyzer> {
  const key = deniedImports.join('\0');
  let analyzer = analyzers.get(key);
  if (analyzer === undefined) {
    analyzer = createAnalyzer({ deniedImports });
    analyzers.set(key, analyzer);
  }
  return analyzer;
}

/** Analyses one file and returns its findings. */
export async function findingsIn(path: string, lines: ReadonlyArray<string>, deniedImports: ReadonlyArray<string> = []): Promise<ReadonlyArray<Finding>> {
  const analyzer = await sharedAnalyzer(deniedImports);
  return analyzer.analyzeFiles([{ path, text: `${lines.join('\n')}\n` }]).findings;
}
