/**
 * `gatehouse comment add|list|publish` and `gatehouse request-changes`: line comments and the
 * request-changes decision, through the same dispatcher and roles as the console.
 */
import type { Command } from 'commander';
import type { CommentView } from '../../../shared/ipc/channels/comments';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';
import { invoke, unlockAs, withCore } from '../core-session';
import { emit } from '../io';

interface JsonOption {
  readonly json?: boolean;
}

function commentLine(c: CommentView): string {
  const where = c.outdated ? `${c.path}:${c.line} (outdated: the line is gone)` : `${c.path}:${c.currentLine ?? c.line}${c.side === 'base' ? ' (base)' : ''}`;
  const state = c.state === 'draft' ? ' [draft]' : c.publishedWith ? ` [${c.publishedWith}]` : '';
  return `${c.id} ${c.authorName} (${c.authorRole})${state} ${where}\n    ${c.body.split('\n').join('\n    ')}`;
}

/** Registers the comment commands. */
export function registerCommentCommands(program: Command): void {
  const comment = program.command('comment').description('line comments on proposals (drafts, published with a decision)');
  comment
    .command('add')
    .requiredOption('--repo <id>', 'repository id')
    .requiredOption('--proposal <name>', 'proposal name')
    .requiredOption('--as <name>', 'the operator who writes')
    .requiredOption('--path <path>', 'file path in the revision')
    .requiredOption('--line <n>', 'line number (1-based)')
    .requiredOption('--body <text>', 'the comment')
    .option('--side <side>', 'head (default) or base', 'head')
    .option('--head <oid>', 'the head you reviewed (default: the current head)')
    .option('--publish', 'publish your drafts on this proposal right away (without a decision)')
    .option('--json', 'JSON output')
    .description('write a draft comment on one line of the current revision')
    .action(
      async (
        options: { repo: string; proposal: string; as: string; path: string; line: string; body: string; side: string; head?: string; publish?: boolean } & JsonOption,
        command: Command,
      ) => {
        const line = Number(options.line);
        if (!Number.isInteger(line) || line < 1) throw new GatehouseError(ErrorCode.InvalidInput, `--line must be a positive integer, not ${options.line}`);
        if (options.side !== 'head' && options.side !== 'base') throw new GatehouseError(ErrorCode.InvalidInput, '--side is head or base');
        await withCore(command, async (core) => {
          await unlockAs(core, options.as);
          const detail = await invoke(core, 'proposal:show', { repositoryId: options.repo, proposalId: options.proposal });
          const view = await invoke(core, 'comment:draft', {
            repositoryId: options.repo,
            proposalId: options.proposal,
            headOid: options.head ?? detail.summary.headOid,
            path: options.path,
            side: options.side as 'head' | 'base',
            line,
            body: options.body,
          });
          const published = options.publish ? (await invoke(core, 'comment:publish', { repositoryId: options.repo, proposalId: options.proposal })).published : 0;
          emit(options.json === true, { ...view, ...(options.publish ? { state: 'published', publishedCount: published } : {}) }, () =>
            options.publish ? `published ${published} comment(s)` : `draft ${view.id} on ${view.path}:${view.line}; it is published with your next decision`,
          );
        });
      },
    );
  comment
    .command('list')
    .requiredOption('--repo <id>', 'repository id')
    .requiredOption('--proposal <name>', 'proposal name')
    .option('--as <name>', 'also show this operator\'s drafts')
    .option('--json', 'JSON output')
    .description('published comments (and your drafts) with where their lines are now')
    .action(async (options: { repo: string; proposal: string; as?: string } & JsonOption, command: Command) => {
      await withCore(command, async (core) => {
        const context = await unlockAs(core, options.as);
        const view = await core.handlers['comment:list']({ repositoryId: options.repo, proposalId: options.proposal }, context);
        emit(options.json === true, view, () =>
          [
            `${view.proposalId} @ ${view.headOid.slice(0, 10)}: ${view.reviewState}`,
            ...view.changeRequests.filter((r) => r.current).map((r) => `changes requested by ${r.operatorName} (${r.role}): ${r.reason}`),
            ...view.comments.map(commentLine),
          ].join('\n'),
        );
      });
    });
  comment
    .command('publish')
    .requiredOption('--repo <id>', 'repository id')
    .requiredOption('--proposal <name>', 'proposal name')
    .requiredOption('--as <name>', 'the operator whose drafts to publish')
    .option('--json', 'JSON output')
    .description('publish your drafts without a decision')
    .action(async (options: { repo: string; proposal: string; as: string } & JsonOption, command: Command) => {
      await withCore(command, async (core) => {
        await unlockAs(core, options.as);
        const result = await invoke(core, 'comment:publish', { repositoryId: options.repo, proposalId: options.proposal });
        emit(options.json === true, result, () => `published ${result.published} comment(s)`);
      });
    });

  program
    .command('request-changes')
    .requiredOption('--repo <id>', 'repository id')
    .requiredOption('--proposal <name>', 'proposal name')
    .requiredOption('--as <name>', 'the operator who signs')
    .requiredOption('--reason <text>', 'what must change (required)')
    .option('--head <oid>', 'the head you reviewed (default: the current head)')
    .option('--json', 'JSON output')
    .description("sign a request for changes of the proposal's current revision, publishing your draft comments")
    .action(async (options: { repo: string; proposal: string; as: string; reason: string; head?: string } & JsonOption, command: Command) => {
      await withCore(command, async (core) => {
        await unlockAs(core, options.as);
        const detail = await invoke(core, 'proposal:show', { repositoryId: options.repo, proposalId: options.proposal });
        if (options.head && options.head !== detail.summary.headOid) {
          throw new GatehouseError(ErrorCode.Conflict, `the proposal moved: you reviewed ${options.head}, it is now ${detail.summary.headOid}`);
        }
        const view = await invoke(core, 'proposal:requestChanges', {
          repositoryId: options.repo,
          proposalId: options.proposal,
          headOid: detail.summary.headOid,
          treeOid: detail.summary.treeOid,
          reason: options.reason,
        });
        emit(options.json === true, view, () => `changes requested by ${view.operatorName} (${view.role}) with ${view.comments} comment(s)\n${view.token}`);
      });
    });
}
