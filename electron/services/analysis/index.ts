/**
 * Threat analysis of proposed changes: tree-sitter AST rules and secret detection over the changed
 * files, SARIF in and out, de-duplication with other scanners, and the revision's assessment.
 *
 * In-process: {@link createAnalyzer} (CLI, bench). Off the main thread: {@link createAnalysisPool}.
 */
export { assess, DEFAULT_POLICY_PATHS, highestSeverity, levelForScore, type AssessInput, type ChangedFile } from './assess';
export {
  compareFindings,
  createAnalyzer,
  fingerprintOf,
  ruleDescriptors,
  secretRuleDescriptors,
  severityRank,
  TOOL_NAME,
  type Analyzer,
  type CreateAnalyzerOptions,
  type RuleDescriptor,
} from './engine';
export { declaredPythonEncoding, decodeSource } from './encoding';
export { AnalysisCancelledError, AnalysisFailedError, RuleDefinitionError, SarifInputError } from './errors';
export { globMatcher } from './glob';
export { languageForPath } from './languages';
export { mergeFindings } from './merge';
export { createAnalysisPool, defaultWorkerFile, type AnalysisPool, type AnalysisPoolOptions, type AnalyzeOptions } from './pool';
export { builtinRules } from './rules';
export type { CodeFacts, Rule, RuleMatch } from './rules/rule';
export { importSarif, parseSarif, toSarif, type ImportSarifOptions, type ToSarifOptions } from './sarif';
export {
  RULE_CATEGORIES,
  type AnalysisFile,
  type AnalysisReport,
  type AnalysisStats,
  type AnalyzerOptions,
  type LanguageId,
  type ParseError,
  type RuleCategory,
  type SkippedFile,
} from './types';
