/**
 * Line comments, as Gerrit keeps them: drafts only their author sees, published with a decision (approve,
 * reject or request changes); comments from earlier revisions follow their line, or are marked outdated
 * when the line is gone. Also the proposal's requests for changes.
 */
import { useState, type FormEvent } from 'react';
import type { CommentSide, CommentView, ProposalComments } from '../../../shared/ipc/channels/comments';
import { useDeleteComment, useDraftComment } from '../../api/review';
import { RoleBadge } from '../../components/badges';
import { EmptyState } from '../../components/EmptyState';
import { ErrorNote } from '../../components/ErrorNote';
import { TimeAgo, shortOid } from '../../components/time';
import type { FindingPlace } from './FindingsPanel';

/** Where a new comment goes. */
export interface CommentTarget {
  readonly path: string;
  readonly side: CommentSide;
  readonly line: number;
}

/** Props of {@link CommentsPanel}. */
export interface CommentsPanelProps {
  readonly conversation: ProposalComments | undefined;
  readonly repositoryId: string;
  readonly proposalId: string;
  readonly headOid: string;
  readonly canComment: boolean;
  readonly target: CommentTarget | null;
  readonly onReveal: (place: FindingPlace) => void;
}

/** The comments panel. */
export function CommentsPanel({ conversation, repositoryId, proposalId, headOid, canComment, target, onReveal }: CommentsPanelProps) {
  const comments = conversation?.comments ?? [];
  const drafts = comments.filter((comment) => comment.state === 'draft');
  const published = comments.filter((comment) => comment.state === 'published');
  return (
    <section className="comments-panel" data-testid="comments-panel" data-count={comments.length} data-drafts={drafts.length} aria-label="Comments">
      <div className="pane-header">
        <span>
          {published.length} published · {drafts.length} draft{drafts.length === 1 ? '' : 's'} (only you see drafts; they are published with your decision)
        </span>
      </div>
      {canComment && <Composer repositoryId={repositoryId} proposalId={proposalId} headOid={headOid} target={target} />}
      {comments.length === 0 ? (
        <EmptyState title="No comments yet." testId="comments-empty">
          <p>{canComment ? 'Click a line number in the diff (or move the cursor to a line) to comment on it.' : 'Reviewers and leads comment on lines; you read them here.'}</p>
        </EmptyState>
      ) : (
        <ol className="comment-list">
          {[...drafts, ...published].map((comment) => (
            <CommentItem key={comment.id} comment={comment} onReveal={onReveal} />
          ))}
        </ol>
      )}
    </section>
  );
}

function Composer({ repositoryId, proposalId, headOid, target }: { readonly repositoryId: string; readonly proposalId: string; readonly headOid: string; readonly target: CommentTarget | null }) {
  const draft = useDraftComment();
  const [body, setBody] = useState('');
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (target === null) return;
    draft.mutate({ repositoryId, proposalId, headOid, path: target.path, side: target.side, line: target.line, body }, { onSuccess: () => setBody('') });
  };
  if (target === null) {
    return (
      <p className="muted small" data-testid="comment-no-target">
        Click a line number in the diff to comment on that line.
      </p>
    );
  }
  return (
    <form className="form comment-composer" onSubmit={submit} aria-label="New comment" data-testid="comment-composer">
      <label className="field-label">
        <span data-testid="comment-target" data-path={target.path} data-side={target.side} data-line={target.line}>
          Comment on {target.path} line {target.line} ({target.side === 'head' ? 'this revision' : 'base'})
        </span>
        <textarea value={body} onChange={(event) => setBody(event.target.value)} rows={3} required data-testid="comment-body" />
      </label>
      {draft.isError && <ErrorNote title="Comment not saved" error={draft.error} testId="comment-error" />}
      <div className="row gap end">
        <button type="submit" disabled={draft.isPending || body.trim() === ''} data-testid="comment-save">
          {draft.isPending ? 'Saving…' : 'Save draft'}
        </button>
      </div>
    </form>
  );
}

function CommentItem({ comment, onReveal }: { readonly comment: CommentView; readonly onReveal: (place: FindingPlace) => void }) {
  const remove = useDeleteComment();
  const line = comment.currentLine;
  return (
    <li
      className={`comment${comment.outdated ? ' outdated' : ''}${comment.state === 'draft' ? ' draft' : ''}`}
      data-testid="comment"
      data-id={comment.id}
      data-state={comment.state}
      data-path={comment.path}
      data-line={line ?? ''}
      data-outdated={comment.outdated ? 'true' : 'false'}
      data-earlier={comment.fromEarlierRevision ? 'true' : 'false'}
    >
      <div className="row gap center wrap small">
        <strong>{comment.authorName}</strong>
        <RoleBadge role={comment.authorRole} />
        <span className={`badge ${comment.state === 'draft' ? 'neutral' : 'pass'}`}>{comment.state === 'draft' ? 'draft' : 'published'}</span>
        {comment.publishedWith !== null && <span className="muted">with {comment.publishedWith.replace('_', ' ')}</span>}
        {comment.outdated ? (
          <span className="badge outdated" data-testid="comment-outdated">
            outdated: line {comment.line} of {shortOid(comment.headOid)} is gone
          </span>
        ) : (
          comment.fromEarlierRevision && (
            <span className="badge neutral" data-testid="comment-followed">
              from {shortOid(comment.headOid)} line {comment.line}, now line {line}
            </span>
          )
        )}
        <TimeAgo iso={comment.publishedAt ?? comment.updatedAt} />
      </div>
      {line !== null && comment.side === 'head' ? (
        <button type="button" className="link-button" onClick={() => onReveal({ path: comment.path, line, column: 1 })} data-testid="comment-open">
          {comment.path}:{line}
        </button>
      ) : (
        <span className="muted small">
          {comment.path}:{comment.line} ({comment.side})
        </span>
      )}
      {comment.outdated && <pre className="finding-snippet">{comment.lineText}</pre>}
      <p className="comment-body">{comment.body}</p>
      {comment.state === 'draft' && (
        <button type="button" className="link-button" onClick={() => remove.mutate({ commentId: comment.id })} disabled={remove.isPending} data-testid="comment-delete">
          Delete draft
        </button>
      )}
    </li>
  );
}
