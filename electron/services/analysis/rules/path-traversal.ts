/**
 * Path traversal: user input joined into file paths — CWE-22.
 */
import { JS_FAMILY } from '../types';
import type { Node } from 'web-tree-sitter';
import { callee, JS_SOURCE_WORDS, mentionsAny, PY_WEB_SOURCE_WORDS } from './patterns';
import { cwe, type Rule, type RuleMatch } from './rule';

const FILE_CALL = /(^|\.)(open|send_file|FileResponse|remove|unlink|rmdir|listdir|scandir|makedirs|rename|replace|copy|copy2|copyfile|copytree|move|rmtree|Path|PurePath|ZipFile|stat|lstat|chmod|chown|exists|isfile|readFile|readFileSync|writeFile|writeFileSync|appendFile|appendFileSync|createReadStream|createWriteStream|openSync|unlinkSync|rm|rmSync|readdir|readdirSync|statSync|access|accessSync|copyFile|copyFileSync|renameSync|mkdir|mkdirSync|outputFile|readJson|readJSON|sendFile|sendfile|download)$/;

/**
 * True when a join's result is named and that name is then checked to stay under a base
 * (`p.startsWith(base)`, `p.indexOf(base) === 0`, `p.is_relative_to(base)`, `commonpath([p, base])`): the
 * resolve-then-check pattern the remediation asks for.
 */
function checkedAfterJoin(join: Node): boolean {
  let node: Node | null = join.parent;
  let name: string | undefined;
  for (; node !== null; node = node.parent) {
    if (name === undefined && (node.type === 'variable_declarator' || node.type === 'assignment' || node.type === 'assignment_expression')) {
      const left = node.childForFieldName(node.type === 'variable_declarator' ? 'name' : 'left');
      if (left?.type === 'identifier') name = left.text;
    }
    if (/^(function_declaration|function_expression|arrow_function|method_definition|function_definition|program|module)$/.test(node.type)) break;
  }
  if (name === undefined || node === null) return false;
  const escaped = name.replace(/[$]/g, '\\$');
  return new RegExp(`\\b${escaped}\\.(startsWith|startswith|indexOf|is_relative_to)\\(|commonpath\\(\\s*\\[[^\\]]*\\b${escaped}\\b`).test(node.text);
}

/** True when a join's result goes straight into a call that opens or serves a file (that call's finding covers it). */
function feedsFileCall(m: RuleMatch, join: Node): boolean {
  const call = join.parent?.parent;
  if (call === null || call === undefined || (call.type !== 'call' && call.type !== 'call_expression')) return false;
  return FILE_CALL.test(m.code.calleeName(call) ?? '');
}

const PY_FILE_SINKS = [
  'open',
  'builtins.open',
  'io.open',
  'codecs.open',
  'aiofiles.open',
  'tarfile.open',
  'zipfile.ZipFile',
  'pathlib.Path',
  'pathlib.PurePath',
  'flask.send_file',
  'flask.helpers.send_file',
  'werkzeug.utils.send_file',
  'os.chmod',
  'os.chown',
  'os.truncate',
  'pathlib.Path.open',
  'django.http.FileResponse',
  ...['open', 'remove', 'unlink', 'rmdir', 'listdir', 'scandir', 'makedirs', 'rename', 'replace'].map((f) => `os.${f}`),
  ...['copy', 'copy2', 'copyfile', 'copytree', 'move', 'rmtree'].map((f) => `shutil.${f}`),
];
const JS_FS_MODULES = ['fs', 'fs.promises', 'fs/promises', 'fs-extra', 'graceful-fs'];
const JS_FS_FUNCTIONS = [
  'readFile', 'readFileSync', 'writeFile', 'writeFileSync', 'appendFile', 'appendFileSync', 'createReadStream', 'createWriteStream',
  'open', 'openSync', 'unlink', 'unlinkSync', 'rm', 'rmSync', 'rmdir', 'rmdirSync', 'readdir', 'readdirSync', 'stat', 'statSync',
  'access', 'accessSync', 'copyFile', 'copyFileSync', 'rename', 'renameSync', 'mkdir', 'mkdirSync', 'outputFile', 'remove',
  'readJson', 'readJSON',
];

/** Rules for file paths taken from request input. */
export const pathTraversalRules: ReadonlyArray<Rule> = [
  {
    id: 'python.path-traversal.user-path',
    title: 'File path from user input',
    category: 'path-traversal',
    severity: 'high',
    cwe: [cwe(22)],
    languages: ['python'],
    calls: PY_FILE_SINKS,
    predicate: (m) => {
      if (!mentionsAny(m, PY_WEB_SOURCE_WORDS)) return false;
      const call = m.capture('finding');
      const name = callee(m) ?? '';
      const positional = m.code.positionalArguments(call);
      // the path arguments: both for copy/move/rename, the first otherwise
      const paths = /^(shutil\.|os\.(rename|replace))/.test(name) ? positional.slice(0, 2) : positional.slice(0, 1);
      const args = [...paths, m.code.keywordArgument(call, 'file'), m.code.keywordArgument(call, 'path_or_file')].filter((a): a is Node => a !== undefined);
      // a literal path is the author's
      // (an f-string is a string node too, but the values spliced into it are not)
      return args.some((arg) => !m.code.isStatic(arg) && m.code.isTainted(arg, 'path'));
    },
    message: 'A file path is built from request input; "../" in it reaches files outside the intended directory.',
    remediation: 'Reduce the name with werkzeug.utils.secure_filename() or os.path.basename(), or resolve the path and check it stays under the base directory (Path.resolve().is_relative_to(base)).',
  },
  {
    id: 'python.path-traversal.join',
    title: 'Path joined with user input',
    category: 'path-traversal',
    severity: 'high',
    cwe: [cwe(22)],
    languages: ['python'],
    calls: ['os.path.join', 'posixpath.join', 'ntpath.join'],
    predicate: (m) => {
      const call = m.capture('finding');
      if (call === undefined || !mentionsAny(m, PY_WEB_SOURCE_WORDS)) return false;
      const parts = m.code.positionalArguments(call).slice(1).filter((a) => !m.code.isStatic(a));
      return parts.length > 0 && parts.some((a) => m.code.isTainted(a, 'path')) && !feedsFileCall(m, call) && !checkedAfterJoin(call);
    },
    message: 'Request input is joined into a path; "../" or an absolute path in it (os.path.join drops everything before an absolute part) leaves the base directory.',
    remediation: 'Use secure_filename()/basename() on the input, or resolve the joined path and check it stays under the base directory.',
  },
  {
    id: 'python.path-traversal.path-division',
    title: 'pathlib path joined with user input',
    category: 'path-traversal',
    severity: 'high',
    cwe: [cwe(22)],
    languages: ['python'],
    fileGate: PY_WEB_SOURCE_WORDS[0],
    // the left operand is a name or call, so long `a + b + ...` chains never keep a match open
    query: `(binary_operator left: [(identifier) (attribute) (call)] @left operator: "/" right: (_) @right) @finding`,
    predicate: (m) => {
      if (!mentionsAny(m, PY_WEB_SOURCE_WORDS)) return false;
      const left = m.capture('left');
      const node = m.capture('finding');
      if (left === undefined || node === undefined) return false;
      const leftName = m.code.qualifiedName(left) ?? left.text;
      if (!/(^|\.)(Path|PurePath|PosixPath)\(\)$|(dir|path|root|base|folder|directory|storage|upload)s?$/i.test(leftName)) return false;
      // `base / "x" / name`: the rest of the chain is the outer divisions
      let outer = node;
      const parts = [m.capture('right')];
      for (let i = 0, p = node.parent; p !== null && p.type === 'binary_operator' && i < 8; i++, p = p.parent) {
        if (p.childForFieldName('operator')?.text !== '/') break;
        parts.push(p.childForFieldName('right') ?? undefined);
        outer = p;
      }
      if (!parts.some((part) => part !== undefined && m.code.isTainted(part, 'path'))) return false;
      m.reportAt(outer);
      return true;
    },
    message: 'A pathlib path is extended with request input; "../" or an absolute path in it escapes the base directory.',
    remediation: 'Use secure_filename()/basename() on the input, or check resolved_path.is_relative_to(base) before use.',
  },
  {
    id: 'js.path-traversal.user-path',
    title: 'File path from user input',
    category: 'path-traversal',
    severity: 'high',
    cwe: [cwe(22)],
    languages: JS_FAMILY,
    calls: [...JS_FS_MODULES.flatMap((m) => JS_FS_FUNCTIONS.map((f) => `${m}.${f}`)), '*.sendFile', '*.sendfile', '*.download'],
    predicate: (m) => {
      if (!mentionsAny(m, JS_SOURCE_WORDS)) return false;
      const name = callee(m) ?? '';
      const call = m.capture('finding');
      // res.sendFile(name, { root }) confines the lookup to root (the `send` module rejects "..")
      if (/(^|\.)(sendFile|sendfile)$/.test(name) && m.code.keywordArgument(call, 'root') !== undefined) return false;
      // ... also when the options are a local object that sets root
      const options = m.code.argument(call, 1);
      // ... and when they are a value from elsewhere that may well set it (only a local object without root is known not to)
      if (/(^|\.)(sendFile|sendfile)$/.test(name) && options?.type === 'identifier' && m.code.valueOf(options).fields?.has('root') !== false) return false;
      const positional = m.code.positionalArguments(call);
      const paths = /(copyFile|rename)(Sync)?$/.test(name) ? positional.slice(0, 2) : positional.slice(0, 1);
      return paths.some((arg) => arg.type !== 'object' && m.code.isTainted(arg, 'path'));
    },
    message: 'A file path is built from request input; "../" in it reaches files outside the intended directory.',
    remediation: 'Take path.basename() of the input, or resolve the path and check it starts with the base directory plus a separator.',
  },
  {
    id: 'js.path-traversal.join',
    title: 'Path joined with user input',
    category: 'path-traversal',
    severity: 'high',
    cwe: [cwe(22)],
    languages: JS_FAMILY,
    calls: ['path.join', 'path.resolve', 'path.posix.join', 'path.posix.resolve', 'path.win32.join', 'path.win32.resolve'],
    predicate: (m) => {
      const call = m.capture('finding');
      if (call === undefined || !mentionsAny(m, JS_SOURCE_WORDS)) return false;
      return m.code.positionalArguments(call).some((a) => m.code.isTainted(a, 'path')) && !feedsFileCall(m, call) && !checkedAfterJoin(call);
    },
    message: 'Request input is joined into a path; "../" in it (or an absolute path, for resolve) leaves the base directory.',
    remediation: 'Take path.basename() of the input, or resolve the result and check it starts with the base directory plus a separator.',
  },
];
