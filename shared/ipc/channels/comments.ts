/**
 * Channels for line comments and the request-changes decision.
 *
 * ## The comment model (shared by the console, the CLI and the MCP server)
 *
 * - A comment is anchored to `path` + `side` (`base` | `head`) + `line` (1-based) of one revision
 *   (`headOid`). It is written as a **draft**, visible only to its author, and **published** with a
 *   decision, as Gerrit does: `proposal:requestChanges`, `proposal:approve` and `proposal:reject`
 *   publish the caller's drafts on that proposal; `comment:publish` publishes them without a decision.
 *   Published comments are immutable and audited (`comment.published`).
 * - When the proposal gets a new revision, each comment **follows its line**: if the anchored line
 *   still exists unchanged in the current revision, `currentLine` is its new number; otherwise
 *   `currentLine` is null and `outdated` is true (show it greyed, with its original `line`).
 * - `request_changes` is a third signed decision (EdDSA JWS like approve/reject, by a reviewer or a
 *   lead, audited as `decision.changes-requested`, stored apart from approvals). It puts the proposal in
 *   the **changes requested** state until a new revision arrives, sends the published comments back to
 *   the proposal's author (the agent, through the MCP server), and never counts as an approval.
 *
 * Channels: `comment:list` (any session; drafts of others are never returned), `comment:states` (the
 * review state and comment counts of every proposal, for the queue), `comment:draft`
 * (create or edit one of your drafts on the current revision), `comment:delete` (one of your drafts),
 * `comment:publish`, `proposal:requestChanges`.
 */
import { z } from 'zod';
import { Oid, Role } from '../../model/domain';
import { channel } from '../define';

const Id = z.string().min(1).max(200);
const ProposalId = z
  .string()
  .min(1)
  .max(250)
  .regex(/^[A-Za-z0-9._/-]+$/, 'a branch name of letters, digits, . _ / -');
const Reason = z.string().trim().min(3, 'a reason of at least 3 characters is required').max(2000);
/** A comment id: `c_` + 22 base64url characters. */
export const CommentId = z.string().regex(/^c_[A-Za-z0-9_-]{22}$/, 'a comment id');
/** Longest comment body, in characters. */
export const MAX_COMMENT_LENGTH = 10_000;
/** Comment text: 1..10,000 characters, no control characters but line breaks and tabs. */
export const CommentBody = z
  .string()
  .max(MAX_COMMENT_LENGTH, `a comment is at most ${MAX_COMMENT_LENGTH} characters`)
  .refine((text) => text.trim().length > 0, 'a comment needs text')
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  .refine((text) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text), 'a comment must not contain control characters');

/** Which side of the diff a comment is on. */
export const CommentSide = z.enum(['base', 'head']);
export type CommentSide = z.infer<typeof CommentSide>;

/** One line comment as a caller sees it. */
export const CommentView = z.object({
  id: CommentId,
  repositoryId: z.string(),
  proposalId: z.string(),
  authorName: z.string(),
  authorRole: Role,
  /** The revision the comment was written on. */
  headOid: Oid,
  path: z.string(),
  side: CommentSide,
  /** The line it was written on, in that revision. */
  line: z.number().int().positive(),
  /** The text of that line when the comment was written. */
  lineText: z.string(),
  /** Where that line is in the current revision, or null when it no longer exists there. */
  currentLine: z.number().int().positive().nullable(),
  /** Written on an earlier revision (whether or not its line still exists). */
  fromEarlierRevision: z.boolean(),
  /** Its line is gone from the current revision. */
  outdated: z.boolean(),
  body: z.string(),
  state: z.enum(['draft', 'published']),
  createdAt: z.string(),
  updatedAt: z.string(),
  publishedAt: z.string().nullable(),
  /** The decision it was published with, if any. */
  publishedWith: z.enum(['approve', 'reject', 'request_changes']).nullable(),
});
export type CommentView = z.infer<typeof CommentView>;

/** A signed request for changes. */
export const ChangeRequestView = z.object({
  jti: z.string(),
  repositoryId: z.string(),
  proposalId: z.string(),
  operatorName: z.string(),
  role: Role,
  keyId: z.string(),
  reason: z.string(),
  headOid: Oid,
  treeOid: Oid,
  issuedAt: z.string(),
  /** It names the current revision (it stands); false once a new revision arrived. */
  current: z.boolean(),
  /** How many comments were published with it. */
  comments: z.number().int(),
  /**
   * How many of them were written on another desk: known here by id and digest from its `change-request`
   * record, their text kept where they were written.
   */
  commentsElsewhere: z.number().int().nonnegative().default(0),
  token: z.string(),
});
export type ChangeRequestView = z.infer<typeof ChangeRequestView>;

/** The conversation on one proposal. */
export const ProposalComments = z.object({
  repositoryId: z.string(),
  proposalId: z.string(),
  /** The current revision. */
  headOid: Oid,
  /** `changes-requested` while a request for changes names the current revision. */
  reviewState: z.enum(['open', 'changes-requested']),
  comments: z.array(CommentView).readonly(),
  changeRequests: z.array(ChangeRequestView).readonly(),
});
export type ProposalComments = z.infer<typeof ProposalComments>;

/** One queue row's review state and comment counts. */
export const ProposalReviewState = z.object({
  repositoryId: z.string(),
  proposalId: z.string(),
  headOid: Oid,
  reviewState: z.enum(['open', 'changes-requested']),
  /** Published comments on the proposal (all revisions). */
  comments: z.number().int(),
  /** The caller's unpublished drafts. */
  drafts: z.number().int(),
});
export type ProposalReviewState = z.infer<typeof ProposalReviewState>;

const RevisionRef = {
  repositoryId: Id,
  proposalId: ProposalId,
  headOid: Oid,
  treeOid: Oid,
};

/** The comment channels. */
export const commentChannels = {
  /** Published comments, the caller's drafts, and the requests for changes on one proposal. */
  'comment:list': channel({
    summary: 'Comments and requests for changes on a proposal',
    input: z.object({ repositoryId: Id, proposalId: ProposalId }).strict(),
    output: ProposalComments,
    access: 'session',
  }),
  /** Review state and comment counts of every proposal (of one repository), for the queue. */
  'comment:states': channel({
    summary: 'Review state and comment counts of every proposal',
    input: z.object({ repositoryId: Id.optional() }).strict(),
    output: z.array(ProposalReviewState).readonly(),
    access: 'session',
  }),
  /** Creates (no `commentId`) or edits one of the caller's drafts, on the current revision. */
  'comment:draft': channel({
    summary: 'Write or edit a draft line comment',
    input: z
      .object({
        repositoryId: Id,
        proposalId: ProposalId,
        /** The revision the reviewer is looking at; refused if the proposal moved. */
        headOid: Oid,
        path: z.string().min(1).max(4096),
        side: CommentSide.default('head'),
        line: z.number().int().positive().max(10_000_000),
        body: CommentBody,
        commentId: CommentId.optional(),
      })
      .strict(),
    output: CommentView,
    access: ['reviewer', 'lead'],
  }),
  /** Deletes one of the caller's drafts (published comments stay). */
  'comment:delete': channel({
    summary: 'Delete a draft comment',
    input: z.object({ commentId: CommentId }).strict(),
    output: z.object({ deleted: z.literal(true) }),
    access: ['reviewer', 'lead'],
  }),
  /** Publishes the caller's drafts on a proposal without a decision. */
  'comment:publish': channel({
    summary: 'Publish your draft comments',
    input: z.object({ repositoryId: Id, proposalId: ProposalId }).strict(),
    output: z.object({ published: z.number().int() }),
    access: ['reviewer', 'lead'],
  }),
  /** Signs a request for changes of the exact revision the reviewer saw, publishing their drafts. */
  'proposal:requestChanges': channel({
    summary: 'Request changes on this exact revision (signed; publishes your drafts)',
    input: z.object({ ...RevisionRef, reason: Reason }).strict(),
    output: ChangeRequestView,
    access: ['reviewer', 'lead'],
  }),
} as const;
