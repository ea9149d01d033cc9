/**
 * SQL injection: queries built from strings at run time and executed — CWE-89.
 */
import { JS_FAMILY } from '../types';
import { callee, SQL_WORDS } from './patterns';
import { cwe, type RuleMatch, type Rule } from './rule';

function builtQuery(m: RuleMatch): boolean {
  const query = m.code.argument(m.capture('finding'), 0);
  // the first 16 KiB of literal text is plenty to recognise SQL
  return m.code.isDynamicString(query) && SQL_WORDS.test(m.code.literalText(query).slice(0, 16_384));
}

/** Rules for SQL text assembled from data. */
export const sqlInjectionRules: ReadonlyArray<Rule> = [
  {
    id: 'python.sql-injection.built-query',
    title: 'SQL built from strings and executed',
    category: 'sql-injection',
    severity: 'high',
    cwe: [cwe(89)],
    languages: ['python'],
    calls: ['*.execute', '*.executemany', '*.executescript', '*.raw', '*.mogrify', '*.read_sql', '*.read_sql_query', '*.text', '*.extra'],
    predicate: (m) => {
      const name = callee(m) ?? '';
      // a bare `text(...)` is SQLAlchemy's only when imported from it
      if (/(^|\.)text$/.test(name) && !name.startsWith('sqlalchemy')) return false;
      return builtQuery(m);
    },
    message: 'The SQL text is assembled from run-time values (f-string, +, % or .format) before it is executed, so those values can change the statement.',
    remediation: 'Keep the SQL constant and pass values as parameters: cursor.execute("... WHERE id = %s", (user_id,)).',
  },
  {
    id: 'js.sql-injection.built-query',
    title: 'SQL built from strings and executed',
    category: 'sql-injection',
    severity: 'high',
    cwe: [cwe(89)],
    languages: JS_FAMILY,
    calls: ['*.query', '*.execute', '*.raw', '*.prepare', '*.run', '*.all', '*.get', '*.exec', '*.each', '*.whereRaw', '*.$queryRawUnsafe', '*.$executeRawUnsafe', '*.unsafe'],
    predicate: builtQuery,
    message: 'The SQL text is assembled from run-time values (template literal or +) before it is executed, so those values can change the statement.',
    remediation: 'Keep the SQL constant and bind values: db.query("... WHERE id = $1", [id]), or a tagged template that parameterises (sql`...`).',
  },
];
