/**
 * Path traversal: user input joined into file paths — CWE-22.
 */
import { JS_FAMILY } from '../types';
import {
  callee,
  JS_PATH_SANITIZERS,
  JS_USER_INPUT,
  JS_USER_INPUT_WORDS,
  mentionsAny,
  PY_PATH_SANITIZERS,
  PY_USER_INPUT,
  PY_USER_INPUT_WORDS,
} from './patterns';
import { cwe, type Rule } from './rule';

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
      if (!mentionsAny(m, PY_USER_INPUT_WORDS)) return false;
      const call = m.capture('finding');
      return m.code.positionalArguments(call).some((arg) => m.code.flowsFrom(arg, PY_USER_INPUT, PY_PATH_SANITIZERS));
    },
    message: 'A file path is built from request input; "../" in it reaches files outside the intended directory.',
    remediation: 'Reduce the name with werkzeug.utils.secure_filename() or os.path.basename(), or resolve the path and check it stays under the base directory (Path.resolve().is_relative_to(base)).',
  },
  {
    id: 'python.path-traversal.path-division',
    title: 'pathlib path joined with user input',
    category: 'path-traversal',
    severity: 'high',
    cwe: [cwe(22)],
    languages: ['python'],
    query: `(binary_operator left: (_) @left operator: "/" right: (_) @right) @finding`,
    predicate: (m) => {
      if (!mentionsAny(m, PY_USER_INPUT_WORDS)) return false;
      const left = m.capture('left');
      if (left === undefined) return false;
      const leftName = m.code.qualifiedName(left) ?? left.text;
      const pathLike = /(^|\.)(Path|PurePath)\(\)$|(dir|path|root|base|folder|directory|storage|upload)s?$/i.test(leftName) || left.type === 'binary_operator';
      return pathLike && m.code.flowsFrom(m.capture('right'), PY_USER_INPUT, PY_PATH_SANITIZERS);
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
      if (!mentionsAny(m, JS_USER_INPUT_WORDS)) return false;
      const name = callee(m) ?? '';
      const call = m.capture('finding');
      // res.sendFile(name, { root }) confines the lookup to root (the `send` module rejects "..")
      if (/(^|\.)(sendFile|sendfile)$/.test(name) && m.code.keywordArgument(call, 'root') !== undefined) return false;
      const args = m.code.positionalArguments(call).filter((a) => a.type !== 'object' && a.type !== 'arrow_function' && a.type !== 'function_expression');
      return args.some((arg) => m.code.flowsFrom(arg, JS_USER_INPUT, JS_PATH_SANITIZERS));
    },
    message: 'A file path is built from request input; "../" in it reaches files outside the intended directory.',
    remediation: 'Take path.basename() of the input, or resolve the path and check it starts with the base directory plus a separator.',
  },
];
