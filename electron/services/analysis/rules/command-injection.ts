/**
 * Command injection: shell commands and programs chosen by run-time values — CWE-78.
 *
 * Three shapes: a command line handed to a shell (os.system, shell=True, exec()); a shell started as
 * the first elements of an argument list (`["bash", "-c", cmd]`); and a program or its arguments taken
 * from data without a shell (os.exec*, os.spawn*, subprocess with a list) — flagged when the program
 * itself is a run-time value, or when data from a source reaches any argument.
 */
import type { Node } from 'web-tree-sitter';
import { JS_FAMILY } from '../types';
import { callee } from './patterns';
import { cwe, type Rule, type RuleMatch } from './rule';

const SHELLS = /^(\/usr)?(\/bin\/)?(ba|z|k|da|c|tc|fi)?sh(\.exe)?$|^(cmd(\.exe)?|powershell(\.exe)?|pwsh)$/;
const INTERPRETERS = /(^|\/)(python[0-9.]*|pypy[0-9]*|node|nodejs|perl|ruby|php|java|deno|bun|awk|gawk|osascript|Rscript|lua|tclsh|expect)$/;
const ARGUMENT_RUNNERS = /(^|\/)(env|sudo|doas|xargs|ssh|find|git)$/;
const CODE_FLAG = /^(-c|-e|-E|--eval|-p|--print|-r|-m|-Command|\/c)$/;
const SHELL_FLAG = /^(-c|\/c|-Command|-lc|-ic|-ec)$/i;

/** The elements of a list or array literal (following a local name to its value), or undefined. */
function listElements(node: Node | undefined): Node[] | undefined {
  if (node === undefined) return undefined;
  if (node.type === 'list' || node.type === 'tuple' || node.type === 'array') {
    return node.namedChildren.filter((c): c is Node => c !== null && c.type !== 'comment');
  }
  return undefined;
}

/**
 * True when an argument vector is dangerous: a shell with `-c` and a run-time command after it, a
 * run-time program, or data from a source anywhere in it.
 */
function dangerousArgv(m: RuleMatch, argv: ReadonlyArray<Node>): boolean {
  const [program, flag, script] = argv;
  if (program === undefined) return false;
  // a literal, or a name that holds a constant (`const shell = 'bash'`)
  const text = (n: Node | undefined): string | undefined => {
    if (n === undefined) return undefined;
    const literal = m.code.stringValue(n);
    if (literal !== undefined) return literal;
    const v = m.code.valueOf(n);
    return v.level === 0 && typeof v.value === 'string' ? v.value : undefined;
  };
  const programName = text(program);
  if (programName !== undefined && SHELLS.test(programName.trim())) {
    const flagText = text(flag);
    if (flagText !== undefined && SHELL_FLAG.test(flagText.trim()) && script !== undefined) return m.code.isUnsafe(script, 'shell');
  }
  if (program.type === 'list_splat' || program.type === 'spread_element') return m.code.isUnsafe(program, 'shell');
  if (m.code.isUnsafe(program, 'shell')) return true;
  // data as an argument of a fixed program is argument injection only where the program runs code from its arguments:
  // tools that take commands anywhere in their arguments (git, ssh, env, sudo, find, xargs), and interpreters in their
  // script position or after a code flag (`python script.py <data>` passes data to the script, not code)
  // a program that is a fact of the runtime (process.execPath, sys.executable) is this interpreter itself
  if (programName === undefined && m.code.valueOf(program).level > 1) return argv.some((a) => m.code.isTainted(a, 'shell'));
  const program_ = (programName ?? 'python').trim();
  if (ARGUMENT_RUNNERS.test(program_)) return argv.slice(1).some((a) => m.code.isTainted(a, 'shell'));
  if (!INTERPRETERS.test(program_) && !SHELLS.test(program_)) return false;
  return argv.slice(1).some((a, i) => {
    const previous = i === 0 ? undefined : m.code.stringValue(argv[i]);
    const codePosition = i === 0 || (previous !== undefined && CODE_FLAG.test(previous.trim()));
    return codePosition && m.code.isTainted(a, 'shell');
  });
}

/** A command given either as a list literal (an argument vector) or a single value (a program, or a line for a shell). */
function dangerousCommand(m: RuleMatch, command: Node | undefined, shell: boolean): boolean {
  if (command === undefined) return false;
  const elements = listElements(command);
  if (elements !== undefined) return shell ? elements.some((e) => m.code.isUnsafe(e, 'shell')) : dangerousArgv(m, elements);
  return m.code.isUnsafe(command, 'shell');
}

/** Rules for shell commands and programs built from data. */
export const commandInjectionRules: ReadonlyArray<Rule> = [
  {
    id: 'python.command-injection.os-system',
    title: 'Shell command built at run time',
    category: 'command-injection',
    severity: 'high',
    cwe: [cwe(78)],
    languages: ['python'],
    calls: [
      'os.system',
      'os.popen',
      'os.popen2',
      'os.popen3',
      'os.popen4',
      'commands.getoutput',
      'commands.getstatusoutput',
      'subprocess.getoutput',
      'subprocess.getstatusoutput',
      'asyncio.create_subprocess_shell',
      'asyncio.subprocess.create_subprocess_shell',
      'popen2.popen2',
      'popen2.popen3',
      'popen2.popen4',
      'platform.popen',
      '*.subprocess_shell',
      '*.exec_command',
      '*.BashOperator',
    ],
    predicate: (m) => {
      const call = m.capture('finding');
      const name = callee(m) ?? '';
      // loop.subprocess_shell(protocol_factory, cmd); paramiko's exec_command only on an SSH client
      if (/\.subprocess_shell$/.test(name)) return m.code.isUnsafe(m.code.argument(call, 1), 'shell');
      if (/\.exec_command$/.test(name) && !/paramiko|ssh|client/i.test(name) && !m.code.mentions('paramiko')) return false;
      if (/BashOperator$/.test(name)) return m.code.isDynamicString(m.code.keywordArgument(call, 'bash_command'));
      return m.code.isUnsafe(m.code.argument(call, 0) ?? m.code.keywordArgument(call, 'cmd') ?? m.code.keywordArgument(call, 'command'), 'shell');
    },
    message: 'This runs a command line through the shell; a value spliced into it can add commands of its own.',
    remediation: 'Use subprocess.run([...args]) with an argument list and no shell; never build a command line from data (shlex.quote() each value if a shell is unavoidable).',
  },
  {
    id: 'python.command-injection.subprocess-shell',
    title: 'subprocess with shell=True and a non-constant command',
    category: 'command-injection',
    severity: 'high',
    cwe: [cwe(78)],
    languages: ['python'],
    calls: ['subprocess.call', 'subprocess.run', 'subprocess.Popen', 'subprocess.check_call', 'subprocess.check_output'],
    predicate: (m) => {
      const call = m.capture('finding');
      const shell = m.code.keywordArgument(call, 'shell');
      if (shell === undefined || m.code.isFalsy(shell) || m.code.valueOf(shell).value === false) return false;
      const command = m.code.argument(call, 0) ?? m.code.keywordArgument(call, 'args');
      return dangerousCommand(m, command, true);
    },
    message: 'shell=True hands the command line to /bin/sh; a value spliced into it can run further commands.',
    remediation: 'Pass an argument list and drop shell=True: subprocess.run(["tool", arg], check=True).',
  },
  {
    id: 'python.command-injection.program-from-data',
    title: 'Program or arguments taken from data',
    category: 'command-injection',
    severity: 'high',
    cwe: [cwe(78), cwe(88)],
    languages: ['python'],
    calls: [
      'subprocess.call',
      'subprocess.run',
      'subprocess.Popen',
      'subprocess.check_call',
      'subprocess.check_output',
      'subprocess.capture_output',
      'asyncio.create_subprocess_exec',
      'asyncio.subprocess.create_subprocess_exec',
      '*.subprocess_exec',
      ...['execl', 'execle', 'execlp', 'execlpe', 'execv', 'execve', 'execvp', 'execvpe'].map((f) => `os.${f}`),
      ...['spawnl', 'spawnle', 'spawnlp', 'spawnlpe', 'spawnv', 'spawnve', 'spawnvp', 'spawnvpe', 'posix_spawn', 'posix_spawnp'].map((f) => `os.${f}`),
      'sh.Command',
    ],
    predicate: (m) => {
      const call = m.capture('finding');
      const name = callee(m) ?? '';
      const args = m.code.positionalArguments(call);
      if (/^subprocess\./.test(name)) {
        const shell = m.code.keywordArgument(call, 'shell');
        // shell=True is the rule above
        if (shell !== undefined && !m.code.isFalsy(shell) && m.code.valueOf(shell).value !== false) return false;
        return dangerousCommand(m, args[0] ?? m.code.keywordArgument(call, 'args'), false);
      }
      if (/^os\.(spawn|posix_spawn)/.test(name)) {
        // spawn*(mode, path, ...), posix_spawn(path, argv, env)
        const rest = /posix_spawn/.test(name) ? args : args.slice(1);
        const [path, ...argv] = rest;
        const vector = /spawn[lp]*v|posix_spawn/.test(name) ? (listElements(argv[0]) ?? []) : argv;
        if (path === undefined) return false;
        return dangerousArgv(m, [path, ...vector.slice(vector.length > 0 && m.code.stringValue(vector[0]) === m.code.stringValue(path) ? 1 : 0)]) || (vector.length === 0 && argv[0] !== undefined && m.code.isTainted(argv[0], 'shell'));
      }
      if (/^os\.exec/.test(name)) {
        const [path, ...argv] = args;
        const vector = /exec[lp]*v/.test(name) ? (listElements(argv[0]) ?? []) : argv;
        if (path === undefined) return false;
        // argv[0] repeats the program name by convention
        return dangerousArgv(m, [path, ...vector.slice(1)]) || (vector.length === 0 && argv[0] !== undefined && m.code.isTainted(argv[0], 'shell'));
      }
      if (/\.subprocess_exec$/.test(name)) {
        const rest = args.slice(1);
        const single = rest.length === 1 ? listElements(rest[0]) : undefined;
        return dangerousArgv(m, single ?? rest);
      }
      if (/create_subprocess_exec$/.test(name)) {
        const single = args.length === 2 ? listElements(args[1]) : undefined;
        return dangerousArgv(m, single === undefined ? args : [args[0] as Node, ...single]);
      }
      return dangerousCommand(m, args[0], false);
    },
    message: 'The program to run, or a shell command given to it, comes from a run-time value; whoever controls the value chooses what runs.',
    remediation: 'Run a fixed program with an argument list; pick among allowed programs with a lookup table, and keep data in arguments, never in a `sh -c` string.',
  },
  {
    id: 'python.command-injection.sh-module',
    title: 'sh module command with a built string',
    category: 'command-injection',
    severity: 'medium',
    cwe: [cwe(78)],
    languages: ['python'],
    query: `(call function: (attribute object: (identifier) @module) arguments: (argument_list . (_) @arg) (#eq? @module "sh")) @finding`,
    predicate: (m) => {
      const module = m.capture('module');
      if (module === undefined || m.code.qualifiedName(module) !== 'sh') return false;
      return m.code.isDynamicString(m.capture('arg')) || m.code.isTainted(m.capture('arg'), 'shell');
    },
    message: 'The sh module passes this string as one argument; a string built from data can carry options or paths the program interprets.',
    remediation: 'Pass each argument separately and keep data out of option strings.',
  },
  {
    id: 'js.command-injection.exec',
    title: 'child_process.exec with a non-constant command',
    category: 'command-injection',
    severity: 'high',
    cwe: [cwe(78)],
    languages: JS_FAMILY,
    calls: ['child_process.exec', 'child_process.execSync', 'shelljs.exec', 'execa.command', 'execa.commandSync', 'execa.execaCommand'],
    predicate: (m) => m.code.isUnsafe(m.code.argument(m.capture('finding'), 0), 'shell'),
    message: 'exec() runs its string through the shell; a value spliced into it can add commands of its own.',
    remediation: 'Use execFile()/spawn() with an argument array and no shell option.',
  },
  {
    id: 'js.command-injection.spawn-shell',
    title: 'Process spawned through a shell with non-constant arguments',
    category: 'command-injection',
    severity: 'high',
    cwe: [cwe(78)],
    languages: JS_FAMILY,
    calls: ['child_process.spawn', 'child_process.spawnSync', 'child_process.execFile', 'child_process.execFileSync'],
    predicate: (m) => {
      const call = m.capture('finding');
      const shell = m.code.keywordArgument(call, 'shell');
      if (shell === undefined || m.code.isFalsy(shell)) return false;
      return m.code.positionalArguments(call).some((arg) => arg.type !== 'object' && m.code.isUnsafe(arg, 'shell'));
    },
    message: 'With shell: true the command and its arguments are joined into a shell command line, so arguments can inject commands.',
    remediation: 'Remove the shell option and pass arguments as an array.',
  },
  {
    id: 'js.command-injection.deno-run',
    title: 'Deno subprocess with a program or shell command from data',
    category: 'command-injection',
    severity: 'high',
    cwe: [cwe(78), cwe(88)],
    languages: JS_FAMILY,
    calls: ['Deno.run', 'Deno.Command'],
    predicate: (m) => {
      const call = m.capture('finding');
      if (callee(m) === 'Deno.run') {
        const argv = listElements(m.code.keywordArgument(call, 'cmd'));
        return argv !== undefined && dangerousArgv(m, argv);
      }
      const program = m.code.argument(call, 0);
      if (program === undefined) return false;
      return dangerousArgv(m, [program, ...(listElements(m.code.keywordArgument(call, 'args')) ?? [])]);
    },
    message: 'The program Deno runs, or a `sh -c` command given to it, comes from a run-time value; whoever controls it chooses what runs.',
    remediation: 'Run a fixed program and pass data only as separate arguments; never hand data to `sh -c`.',
  },
  {
    id: 'js.command-injection.program-from-data',
    title: 'Program or shell command taken from data',
    category: 'command-injection',
    severity: 'high',
    cwe: [cwe(78), cwe(88)],
    languages: JS_FAMILY,
    calls: ['child_process.spawn', 'child_process.spawnSync', 'child_process.execFile', 'child_process.execFileSync', 'child_process.fork', 'execa', 'execa.execa', 'execa.sync', 'cross-spawn', 'cross-spawn.sync'],
    predicate: (m) => {
      const call = m.capture('finding');
      const shell = m.code.keywordArgument(call, 'shell');
      if (shell !== undefined && !m.code.isFalsy(shell)) return false;
      const [program, list] = m.code.positionalArguments(call);
      if (program === undefined) return false;
      const rest = listElements(list) ?? [];
      // a whole argument list from request data may start a shell; an exported function's caller passing the
      // arguments of a fixed program is what such an API is for
      return dangerousArgv(m, [program, ...rest]) || (list !== undefined && rest.length === 0 && m.code.isTainted(list, 'shell') && m.code.valueOf(list).api !== true);
    },
    message: 'The program to run, or a `sh -c` command given to it, comes from a run-time value; whoever controls it chooses what runs.',
    remediation: 'Spawn a fixed program and pass data only as separate arguments; never hand data to `sh -c`.',
  },
];
