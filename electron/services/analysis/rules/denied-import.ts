/**
 * Imports of modules on the policy's deny list (configurable per repository) — CWE-829.
 */
import { JS_FAMILY } from '../types';
import { cwe, type Rule } from './rule';

/** Rules that enforce the policy's denied imports. */
export const deniedImportRules: ReadonlyArray<Rule> = [
  {
    id: 'python.denied-import.import',
    title: 'Import of a denied module',
    category: 'denied-import',
    severity: 'high',
    cwe: [cwe(829)],
    languages: ['python'],
    query: `(import_statement name: [(dotted_name) @module (aliased_import name: (dotted_name) @module)]) @finding
      (import_from_statement module_name: (dotted_name) @module) @finding`,
    calls: ['importlib.import_module', '__import__', 'builtins.__import__'],
    predicate: (m) => {
      const module = m.capture('module');
      if (module !== undefined) return m.code.isDeniedModule(module.text);
      const name = m.code.stringValue(m.code.argument(m.capture('finding'), 0));
      return name !== undefined && m.code.isDeniedModule(name);
    },
    message: 'This module is on the repository policy’s deny list.',
    remediation: 'Use an allowed alternative, or have a lead change the policy (that change is itself reviewed).',
  },
  {
    id: 'js.denied-import.import',
    title: 'Import of a denied module',
    category: 'denied-import',
    severity: 'high',
    cwe: [cwe(829)],
    languages: JS_FAMILY,
    query: `(import_statement source: (string (string_fragment) @module)) @finding
      (export_statement source: (string (string_fragment) @module)) @finding
      (call_expression function: (import) arguments: (arguments (string (string_fragment) @module))) @finding`,
    calls: ['require'],
    predicate: (m) => {
      const module = m.capture('module');
      if (module !== undefined) return m.code.isDeniedModule(module.text);
      const name = m.code.stringValue(m.code.argument(m.capture('finding'), 0));
      return name !== undefined && m.code.isDeniedModule(name);
    },
    message: 'This module is on the repository policy’s deny list.',
    remediation: 'Use an allowed alternative, or have a lead change the policy (that change is itself reviewed).',
  },
];
