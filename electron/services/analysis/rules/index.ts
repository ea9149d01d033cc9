/**
 * The built-in rule set: every category for Python and JavaScript/TypeScript.
 */
import { codeExecutionRules } from './code-execution';
import { commandInjectionRules } from './command-injection';
import { deniedImportRules } from './denied-import';
import { deserializationRules } from './deserialization';
import { domInjectionRules } from './dom-injection';
import { hardcodedSecretRules } from './hardcoded-secrets';
import { insecureRandomnessRules } from './insecure-randomness';
import { pathTraversalRules } from './path-traversal';
import { queryInjectionRules, sessionRules } from './queries-and-sessions';
import type { Rule } from './rule';
import { sandboxEscapeRules } from './sandbox-escape';
import { sqlInjectionRules } from './sql-injection';
import { tlsVerificationRules } from './tls-verification';
import { weakCryptoRules } from './weak-crypto';
import { webRequestRules } from './web-requests';
import { weakHashRules } from './weak-hash';

/** Every built-in AST rule. */
export const builtinRules: ReadonlyArray<Rule> = [
  ...codeExecutionRules,
  ...commandInjectionRules,
  ...sqlInjectionRules,
  ...deserializationRules,
  ...sandboxEscapeRules,
  ...pathTraversalRules,
  ...tlsVerificationRules,
  ...weakHashRules,
  ...weakCryptoRules,
  ...insecureRandomnessRules,
  ...domInjectionRules,
  ...deniedImportRules,
  ...hardcodedSecretRules,
  ...webRequestRules,
  ...queryInjectionRules,
  ...sessionRules,
];
