/**
 * Search across every file a proposal's current revision changes, for the review console (issue 14):
 * literal text, case-insensitive by default, over the head side (the base side of a deleted file), with a
 * bound on the matches returned. Proposal content is hostile: it is only read as text, never interpreted.
 */
import type { ProposalSearchResult, SearchMatch } from '../../shared/ipc/channels/review';
import { proposalFile, showProposal, type ReviewDeps } from './review';

/** Most matches one search returns. */
export const MAX_SEARCH_MATCHES = 500;
/** Longest line excerpt returned per match. */
const EXCERPT = 240;

function excerpt(line: string, at: number): string {
  if (line.length <= EXCERPT) return line;
  const start = Math.max(0, Math.min(at - 80, line.length - EXCERPT));
  return `${start > 0 ? '…' : ''}${line.slice(start, start + EXCERPT)}${start + EXCERPT < line.length ? '…' : ''}`;
}

/** Finds the matching lines of one text. */
export function searchText(text: string, query: string, caseSensitive: boolean, place: { readonly path: string; readonly side: 'base' | 'head' }, limit: number): SearchMatch[] {
  const needle = caseSensitive ? query : query.toLowerCase();
  const found: SearchMatch[] = [];
  const lines = text.split(/\r?\n/u);
  for (let index = 0; index < lines.length && found.length < limit; index += 1) {
    const line = lines[index] ?? '';
    const at = (caseSensitive ? line : line.toLowerCase()).indexOf(needle);
    if (at === -1) continue;
    found.push({ path: place.path, side: place.side, line: index + 1, column: at + 1, text: excerpt(line, at) });
  }
  return found;
}

/** Searches the files of a proposal's current (or landed) revision. */
export async function searchProposal(
  deps: ReviewDeps,
  input: { readonly repositoryId: string; readonly proposalId: string; readonly query: string; readonly caseSensitive?: boolean },
): Promise<ProposalSearchResult> {
  const detail = await showProposal(deps, input.repositoryId, input.proposalId);
  const matches: SearchMatch[] = [];
  const skipped: string[] = [];
  let truncated = false;
  for (const file of detail.files) {
    if (file.binary || file.tooLarge || file.gitlink) {
      skipped.push(file.path);
      continue;
    }
    const contents = await proposalFile(deps, input.repositoryId, input.proposalId, file.path);
    const side = contents.modified !== null ? 'head' : 'base';
    const text = contents.modified ?? contents.original;
    if (text === null) {
      skipped.push(file.path);
      continue;
    }
    const room = MAX_SEARCH_MATCHES - matches.length;
    const found = searchText(text, input.query, input.caseSensitive === true, { path: file.path, side }, room + 1);
    if (found.length > room) {
      matches.push(...found.slice(0, room));
      truncated = true;
      break;
    }
    matches.push(...found);
  }
  return { query: input.query, matches, files: detail.files.length, truncated, skipped };
}
