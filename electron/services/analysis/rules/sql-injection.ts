/**
 * SQL injection: queries built from strings at run time and executed — CWE-89.
 */
import { JS_FAMILY } from '../types';
import { callee, SQL_WORDS, traceAssignment } from './patterns';
import { cwe, type RuleMatch, type Rule } from './rule';

const SQL_ONLY_METHODS = /(^|\.)(execute|executemany|executescript|mogrify|read_sql|read_sql_query|raw|RawSQL|text|query|whereRaw|\$queryRawUnsafe|\$executeRawUnsafe|unsafe|fetch|fetchrow|fetchval)$/;

function builtQuery(m: RuleMatch): boolean {
  const call = m.capture('finding');
  let query = m.code.argument(call, 0) ?? m.code.keywordArgument(call, 'sql') ?? m.code.keywordArgument(call, 'query');
  // mysql's query({ sql, values }), pg's query({ text, values }): the statement is a property of the options
  if (query?.type === 'object') query = m.code.keywordArgument(call, 'sql') ?? m.code.keywordArgument(call, 'text');
  if (query === undefined || query.type === 'object' || query.type === 'dictionary') return false;
  // request data as the statement itself (for methods that only ever take SQL), or SQL text assembled at run
  // time (the first 16 KiB of literal text is plenty to recognise SQL)
  const built = (SQL_ONLY_METHODS.test(callee(m) ?? '') && m.code.isTainted(query, 'sql')) || (m.code.isDynamicString(query) && m.code.isUnsafe(query, 'sql') && SQL_WORDS.test(m.code.literalText(query).slice(0, 16_384)));
  // the statement held in a name: show where it is put together
  if (built) traceAssignment(m, query);
  return built;
}

/** Rules for SQL text assembled from data. */
export const sqlInjectionRules: ReadonlyArray<Rule> = [
  {
    id: 'python.sql-injection.query-clause-string',
    title: 'SQLAlchemy query clause built from strings',
    category: 'sql-injection',
    severity: 'high',
    cwe: [cwe(89)],
    languages: ['python'],
    calls: ['*.filter', '*.distinct', '*.having', '*.group_by', '*.order_by'],
    predicate: (m) => {
      const call = m.capture('finding');
      const receiver = call?.childForFieldName('function')?.childForFieldName('object');
      // a Query (session.query(...), Model.query, a name `query`): a plain string clause is SQL text (text() coercion)
      if (receiver === null || receiver === undefined || !/(^|\.)query\b/.test(receiver.text)) return false;
      const clause = m.code.argument(call, 0);
      // a clause string carries no SQL keywords to recognise it by: only request data counts here
      return clause !== undefined && m.code.isDynamicString(clause) && m.code.isTainted(clause, 'sql');
    },
    message: 'A query clause (filter, order_by, group_by, having, distinct) is a string built from request data: SQLAlchemy sends a string clause as raw SQL, so the values in it can change the statement.',
    remediation: 'Build the clause from column expressions (Model.name == value, desc(Model.created)), or bind values with text("... :v").bindparams(v=value).',
  },
  {
    id: 'python.sql-injection.built-query',
    title: 'SQL built from strings and executed',
    category: 'sql-injection',
    severity: 'high',
    cwe: [cwe(89)],
    languages: ['python'],
    calls: ['*.execute', '*.executemany', '*.executescript', '*.raw', '*.mogrify', '*.read_sql', '*.read_sql_query', '*.text', '*.extra', '*.RawSQL', '*.fetch', '*.fetchrow', '*.fetchval', '*.run', '*.cursor', '*.copy_from_query'],
    predicate: (m) => {
      const name = callee(m) ?? '';
      // a bare `text(...)` is SQLAlchemy's only when imported from it
      if (/(^|\.)text$/.test(name) && !name.startsWith('sqlalchemy')) return false;
      // asyncpg's fetch*/pg8000's run take SQL; elsewhere those names mean other things, so the text must read as SQL
      if (/\.(fetch|fetchrow|fetchval|run)$/.test(name) && !m.code.mentions(/\b(asyncpg|pg8000|aiopg|psycopg)\b/)) return false;
      // asyncpg's Connection.cursor(query) takes SQL; a DB-API cursor() takes none
      if (/\.(cursor|copy_from_query)$/.test(name) && !m.code.mentions(/\basyncpg\b/)) return false;
      if (/\.extra$/.test(name)) {
        // QuerySet.extra(where=[...], select={...}): any run-time text in its SQL fragments
        const call = m.capture('finding');
        return ['where', 'select', 'tables', 'order_by'].some((k) => {
          const v = m.code.keywordArgument(call, k);
          return v !== undefined && (m.code.isTainted(v, 'sql') || (m.code.isUnsafe(v, 'sql') && /\b(format|%|\+)/.test(v.text)));
        }) || builtQuery(m);
      }
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
