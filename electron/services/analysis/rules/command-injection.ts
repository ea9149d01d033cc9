/**
 * Command injection: shell commands built from run-time values — CWE-78.
 */
import { JS_FAMILY } from '../types';
import { cwe, type Rule } from './rule';

/** Rules for shell commands built from data. */
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
    ],
    predicate: (m) => !m.code.isStatic(m.code.argument(m.capture('finding'), 0)),
    message: 'This runs a command line through the shell; a value spliced into it can add commands of its own.',
    remediation: 'Use subprocess.run([...args]) with an argument list and no shell; never build a command line from data.',
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
      if (shell === undefined || m.code.isFalsy(shell)) return false;
      const command = m.code.argument(call, 0) ?? m.code.keywordArgument(call, 'args');
      return !m.code.isStatic(command);
    },
    message: 'shell=True hands the command line to /bin/sh; a value spliced into it can run further commands.',
    remediation: 'Pass an argument list and drop shell=True: subprocess.run(["tool", arg], check=True).',
  },
  {
    id: 'js.command-injection.exec',
    title: 'child_process.exec with a non-constant command',
    category: 'command-injection',
    severity: 'high',
    cwe: [cwe(78)],
    languages: JS_FAMILY,
    calls: ['child_process.exec', 'child_process.execSync'],
    predicate: (m) => !m.code.isStatic(m.code.argument(m.capture('finding'), 0)),
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
      return m.code.positionalArguments(call).some((arg) => arg.type !== 'object' && !m.code.isStatic(arg));
    },
    message: 'With shell: true the command and its arguments are joined into a shell command line, so arguments can inject commands.',
    remediation: 'Remove the shell option and pass arguments as an array.',
  },
];
