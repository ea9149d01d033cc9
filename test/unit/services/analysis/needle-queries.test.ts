import { describe, expect, it } from 'vitest';
import { createAnalyzer } from '../../../../electron/services/analysis/engine';
import { cwe, type Rule } from '../../../../electron/services/analysis/rules/rule';

/** A rule whose only pattern needs the word `name` (a `#eq?` predicate): it runs in the shared needle query. */
function needleRule(id: string, name: string, query = `((identifier) @finding (#eq? @finding "${name}"))`): Rule {
  return { id, title: id, category: 'code-execution', severity: 'low', cwe: [cwe(94)], languages: ['python'], query, message: 'x', remediation: 'x' };
}

describe('the shared needle query', () => {
  it('reports each rule on the lines of its own word, however the rules are combined', async () => {
    const analyzer = await createAnalyzer({ rules: [needleRule('python.code-execution.alpha', 'alpha'), needleRule('python.code-execution.beta', 'beta')], languages: ['python'] });
    const text = ['x = 1', 'alpha()', 'y = alpha_not', 'beta + alpha', ...Array.from({ length: 300 }, (_, i) => `z${i} = beta`)].join('\n');
    const report = analyzer.analyzeFiles([{ path: 'a.py', text: `${text}\n` }]);
    analyzer.close();
    const byRule = (id: string): number[] => report.findings.filter((f) => f.ruleId === id).map((f) => f.startLine);
    expect(byRule('python.code-execution.alpha')).toEqual([2, 4]);
    // more than 256 lines hold a needle: one pass over the whole file finds the same
    expect(byRule('python.code-execution.beta')).toEqual([4, ...Array.from({ length: 300 }, (_, i) => i + 5)]);
  });

  it('still names a rule whose needle pattern does not compile', async () => {
    const analyzer = await createAnalyzer({
      rules: [needleRule('python.code-execution.fine', 'fine'), needleRule('python.code-execution.broken-needle', 'x', '((no_such_node) @finding (#eq? @finding "x"))')],
      languages: ['python'],
    });
    expect(() => analyzer.precompile(['python'])).toThrow(/python\.code-execution\.broken-needle/);
    analyzer.close();
  });

  it("runs a file-gated rule's text predicates after its gate, with the same matches", async () => {
    // structural patterns with a #match? / #eq? predicate, in the shared pass, of a rule gated on the file's text
    const gated: Rule = {
      ...needleRule('python.code-execution.gated', 'unused'),
      query: `(call function: (attribute attribute: (identifier) @m) arguments: (argument_list . (_) @value) (#match? @m "^store_")) @finding
        (assignment left: (attribute attribute: (identifier) @a) (#eq? @a "secret")) @finding`,
      fileGate: /GATE/,
    };
    const analyzer = await createAnalyzer({ rules: [gated], languages: ['python'] });
    const body = ['db.store_key(k)', 'db.restore_key(k)', 'db.store_key()', 'cfg.secret = 1', 'cfg.secrets = 1', 'db.store_all(a, b)'].join('\n');
    const lines = (text: string): number[] => analyzer.analyzeFiles([{ path: 'a.py', text }]).findings.map((f) => f.startLine).sort((a, b) => a - b);
    try {
      // the gate passes: exactly the matches whose predicates hold
      expect(lines(`# GATE\n${body}\n`)).toEqual([2, 5, 7]);
      // the gate fails: nothing, predicates or not
      expect(lines(`# none\n${body}\n`)).toEqual([]);
    } finally {
      analyzer.close();
    }
  });
});
