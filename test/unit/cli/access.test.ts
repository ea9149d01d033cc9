/** The CLI's own guard: a command may call only the channels it declares in electron/cli/access.ts. */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { assertDeclared, commandPath } from '../../../electron/cli/access';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';

function leaf(...names: string[]): Command {
  let command = new Command('gatehouse');
  for (const name of names) command = command.command(name);
  return command;
}

describe('CLI access table', () => {
  it('names a command by its path from the program root', () => {
    expect(commandPath(leaf('checkpoint', 'show'))).toBe('checkpoint show');
  });

  it('lets a command call what it declares, and unlock when it dispatches', () => {
    expect(() => assertDeclared(leaf('proposal', 'show'), 'proposal:show')).not.toThrow();
    expect(() => assertDeclared(leaf('apply'), 'session:unlock')).not.toThrow();
  });

  it('refuses a channel the command did not declare, an offline command, and an unknown command', () => {
    for (const [command, channel] of [
      [leaf('proposal', 'list'), 'proposal:apply'],
      [leaf('scan'), 'session:unlock'],
      [leaf('verify'), 'proposal:show'],
      [leaf('nope'), 'repo:list'],
    ] as const) {
      let thrown: unknown;
      try {
        assertDeclared(command, channel);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(GatehouseError);
      expect((thrown as GatehouseError).code).toBe(ErrorCode.Internal);
    }
  });
});
