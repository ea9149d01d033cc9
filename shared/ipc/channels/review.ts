/** Channels for repositories, proposals, review, decisions and apply. */
import { z } from 'zod';
import { Acknowledgement, Acknowledgements } from '../../model/acknowledgement';
import { Assessment, Decision, Finding, Oid, RiskLevel, Role } from '../../model/domain';
import { SandboxComparison } from '../../model/sandbox';
import { channel } from '../define';

const Id = z.string().min(1).max(200);
/** A proposal id: the part of the branch name the pattern's `*` matches (`quote-formula` for `refs/heads/proposals/quote-formula`). */
const ProposalId = z
  .string()
  .min(1)
  .max(250)
  .regex(/^[A-Za-z0-9._/-]+$/, 'a branch name of letters, digits, . _ / -');
const Reason = z.string().trim().min(3, 'a reason of at least 3 characters is required').max(2000);

/** A registered repository. */
export const RepositoryView = z.object({
  id: z.string(),
  name: z.string(),
  path: z.string(),
  targetBranch: z.string(),
  proposalPattern: z.string(),
  addedAt: z.string(),
});
export type RepositoryView = z.infer<typeof RepositoryView>;

/** Who wrote a revision. */
export const AuthorView = z.object({
  name: z.string(),
  email: z.string(),
  /** `agent` when the commit carries Gatehouse's agent trailer or came through import. */
  kind: z.enum(['agent', 'human']),
});

/** One condition of the policy gate, met or not. */
export const GateCondition = z.object({ id: z.string(), met: z.boolean(), message: z.string() });
/** The policy gate for one revision. */
export const GateView = z.object({
  allowed: z.boolean(),
  conditions: z.array(GateCondition).readonly(),
  /** One line: "needs 1 more: a lead", "ready to apply", "rejected by …". */
  summary: z.string(),
});
export type GateView = z.infer<typeof GateView>;

/** A signed decision as the console lists it. */
export const ApprovalView = z.object({
  jti: z.string(),
  operatorName: z.string(),
  keyId: z.string(),
  role: Role,
  decision: Decision,
  reason: z.string(),
  headOid: z.string(),
  issuedAt: z.string(),
  expiresAt: z.string(),
  /** `used`: counted by the apply that landed the proposal. */
  status: z.enum(['valid', 'expired', 'revoked', 'outdated', 'invalid', 'used']),
  statusDetail: z.string(),
  token: z.string(),
  /** What the approver explicitly accepted, as signed (open CRITICAL/HIGH findings, unviewed files). */
  acknowledgements: z.array(Acknowledgement).readonly().optional(),
});
export type ApprovalView = z.infer<typeof ApprovalView>;

/** An automatic rollback of a proposal's apply by the post-apply check. */
export const AutomaticRollbackView = z.object({
  at: z.string(),
  reasons: z.array(z.string()).readonly(),
  /** The checkpoint it rolled back to. */
  checkpointId: z.string(),
  appliedBy: z.string().nullable(),
  appliedAt: z.string().nullable(),
});
export type AutomaticRollbackView = z.infer<typeof AutomaticRollbackView>;

/** The apply that landed a proposal. */
export const LandedView = z.object({
  at: z.string(),
  by: z.string(),
  /** The proposal head that was applied. */
  head: z.string(),
  newTargetHead: z.string(),
  previousTargetHead: z.string(),
  checkpointId: z.string(),
  /** `jti`s of the approvals the apply used. */
  approvals: z.array(z.string()).readonly(),
});
export type LandedView = z.infer<typeof LandedView>;

/** One line of a proposal's activity. */
export const ActivityItem = z.object({
  seq: z.number().int(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  /** Done by Gatehouse itself (a post-apply check, an automatic rollback). */
  automatic: z.boolean(),
  summary: z.string(),
});
export type ActivityItem = z.infer<typeof ActivityItem>;

/** A queue row. */
export const ProposalSummary = z.object({
  repositoryId: z.string(),
  repositoryName: z.string(),
  proposalId: z.string(),
  title: z.string(),
  author: AuthorView,
  committedAt: z.string(),
  baseOid: Oid,
  headOid: Oid,
  treeOid: Oid,
  filesChanged: z.number().int(),
  additions: z.number().int(),
  deletions: z.number().int(),
  risk: RiskLevel.nullable(),
  safetyScore: z.number().nullable(),
  findingCount: z.number().int().nullable(),
  approvals: z.object({
    valid: z.number().int(),
    outdated: z.number().int(),
    rejected: z.boolean(),
    /** What policy still needs, in words. */
    needs: z.string(),
  }),
  applied: z.boolean(),
  /** Set when the post-apply check rolled this proposal's apply back and it was not applied again since. */
  automaticRollback: AutomaticRollbackView.nullable().optional(),
  /** Set when the proposal could not be reviewed at all (an unsafe tree, no shared history): listed, never hidden. */
  refused: z.object({ code: z.string(), reason: z.string() }).nullable().optional(),
});
export type ProposalSummary = z.infer<typeof ProposalSummary>;

/** One changed file of a revision. */
export const FileChangeView = z.object({
  path: z.string(),
  oldPath: z.string().nullable(),
  status: z.enum(['added', 'modified', 'deleted', 'renamed', 'mode-only', 'type-change']),
  binary: z.boolean(),
  gitlink: z.boolean(),
  oldSize: z.number().int().nullable(),
  newSize: z.number().int().nullable(),
  additions: z.number().int(),
  deletions: z.number().int(),
  tooLarge: z.boolean(),
  invalidUtf8: z.boolean(),
  crlf: z.boolean(),
  whitespaceOnly: z.boolean(),
  /** Lines (new side) holding bidirectional-control or zero-width characters (CVE-2021-42574). */
  hiddenCharLines: z.array(z.number().int()).readonly(),
  findingCount: z.number().int(),
});
export type FileChangeView = z.infer<typeof FileChangeView>;

/** One revision (head commit) of a proposal. */
export const RevisionView = z.object({
  oid: Oid,
  message: z.string(),
  author: AuthorView,
  committedAt: z.string(),
});

/** Everything the review view needs for one proposal. */
export const ProposalDetail = z.object({
  summary: ProposalSummary,
  revisions: z.array(RevisionView).readonly(),
  files: z.array(FileChangeView).readonly(),
  findings: z.array(Finding).readonly(),
  /** Files of the revision that do not parse cleanly: path and first syntax error (findings on the parts that parse still show). */
  parseErrors: z
    .array(z.object({ path: z.string(), line: z.number().int(), column: z.number().int(), message: z.string() }))
    .readonly()
    .optional(),
  assessment: Assessment,
  /** The agent's own claims, when the proposal was imported from a change set. */
  agentClaims: z
    .object({ rationale: z.string(), safetyScore: z.number().nullable(), riskLevel: z.string().nullable() })
    .nullable(),
  gate: GateView,
  approvals: z.array(ApprovalView).readonly(),
  sandbox: SandboxComparison.nullable(),
  /** For an applied proposal: the apply that landed it (files, findings and diff are that revision's, frozen). */
  landed: LandedView.nullable().optional(),
  /** What happened to the proposal, newest first (from the audit log). */
  activity: z.array(ActivityItem).readonly().optional(),
});
export type ProposalDetail = z.infer<typeof ProposalDetail>;

/** One file's two sides for Monaco. */
export const FileContentsView = z.object({
  path: z.string(),
  language: z.string(),
  original: z.string().nullable(),
  modified: z.string().nullable(),
  binary: z.boolean(),
  tooLarge: z.boolean(),
  warnings: z.array(z.string()).readonly(),
});
export type FileContentsView = z.infer<typeof FileContentsView>;

/** One line of a proposal's files that matches a search. */
export const SearchMatch = z.object({
  path: z.string(),
  side: z.enum(['base', 'head']),
  line: z.number().int().positive(),
  /** 1-based column of the first match on the line. */
  column: z.number().int().positive(),
  /** The line, cut to at most 240 characters around the match. */
  text: z.string(),
});
export type SearchMatch = z.infer<typeof SearchMatch>;

/** What a search across a proposal's files found. */
export const ProposalSearchResult = z.object({
  query: z.string(),
  matches: z.array(SearchMatch).readonly(),
  /** Files searched. */
  files: z.number().int(),
  /** More matches than are returned. */
  truncated: z.boolean(),
  /** Files without text to search (binary, too large, submodule pointers). */
  skipped: z.array(z.string()).readonly(),
});
export type ProposalSearchResult = z.infer<typeof ProposalSearchResult>;

/** The files the unlocked operator has marked viewed on a revision. */
export const ViewedView = z.object({ headOid: Oid, paths: z.array(z.string()).readonly() });
export type ViewedView = z.infer<typeof ViewedView>;

const RevisionRef = {
  repositoryId: Id,
  proposalId: ProposalId,
  /** The exact revision the reviewer saw; refused if the branch has moved since. */
  headOid: Oid,
  treeOid: Oid,
};

/** The review channels. */
export const reviewChannels = {
  /** Registered repositories. */
  'repo:list': channel({
    summary: 'List repositories',
    input: z.object({}).strict(),
    output: z.array(RepositoryView).readonly(),
    access: 'session',
  }),
  /** Registers a local git repository. */
  'repo:add': channel({
    summary: 'Register a local git repository',
    input: z
      .object({
        path: z.string().min(1).max(4096),
        targetBranch: z.string().min(1).max(250).default('main'),
        proposalPattern: z.string().min(1).max(250).default('refs/heads/proposals/*'),
        /** Join a team: register under the id another desk's records use (the approvals' audience). */
        id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a repository id is 1-64 letters, digits, "_" or "-"').optional(),
      })
      .strict(),
    output: RepositoryView,
    access: ['lead'],
  }),
  /** Forgets a repository (its files are untouched). */
  'repo:remove': channel({
    summary: 'Forget a repository',
    input: z.object({ repositoryId: Id }).strict(),
    output: z.object({ removed: z.literal(true) }),
    access: ['lead'],
  }),
  /** The queue: proposals across repositories. */
  'proposal:list': channel({
    summary: 'Proposals across repositories',
    input: z.object({ repositoryId: Id.optional() }).strict(),
    output: z.array(ProposalSummary).readonly(),
    access: 'session',
  }),
  /**
   * One proposal: files, findings, assessment, gate, approvals, sandbox. With `withFirstFile`, also the
   * two sides of the file the review opens first (shared/model/review-order.ts), in the same answer.
   */
  'proposal:show': channel({
    summary: 'One proposal with files, findings, assessment, gate and approvals',
    input: z.object({ repositoryId: Id, proposalId: ProposalId, withFirstFile: z.boolean().optional() }).strict(),
    output: ProposalDetail.extend({ firstFile: FileContentsView.optional() }),
    access: 'session',
  }),
  /** One file's old and new text for the diff editor. */
  'proposal:file': channel({
    summary: "One file's old and new text",
    input: z.object({ repositoryId: Id, proposalId: ProposalId, path: z.string().min(1).max(4096) }).strict(),
    output: FileContentsView,
    access: 'session',
  }),
  /** Searches the text of every file a proposal's current revision changes (head side; base side of deleted files). */
  'proposal:search': channel({
    summary: "Search the text of every file a proposal changes",
    input: z
      .object({
        repositoryId: Id,
        proposalId: ProposalId,
        /** Literal text, not a pattern; case-insensitive unless `caseSensitive`. */
        query: z.string().min(1).max(200),
        caseSensitive: z.boolean().optional(),
      })
      .strict(),
    output: ProposalSearchResult,
    access: 'session',
  }),
  /** Imports a proposal from a JSON change set or a unified diff. */
  'proposal:import': channel({
    summary: 'Import a proposal from a JSON change set or a unified diff',
    input: z
      .object({
        repositoryId: Id,
        format: z.enum(['changeset', 'diff']),
        content: z.string().min(1).max(28 * 1024 * 1024),
        /**
         * How `content` carries the file: `utf8` text (default) or `base64` of its exact bytes, so a patch
         * to a file in another encoding (Latin-1) reaches the parser byte for byte.
         */
        encoding: z.enum(['utf8', 'base64']).optional(),
        /** For diffs: the branch name to create under the proposal pattern. */
        name: ProposalId.optional(),
      })
      .strict(),
    output: z.object({ proposalId: z.string(), headOid: Oid }),
    access: ['reviewer', 'lead'],
  }),
  /** Signs an approval of the exact revision the reviewer saw. */
  'proposal:approve': channel({
    summary: 'Approve this exact revision (signed, expiring)',
    input: z
      .object({
        ...RevisionRef,
        reason: Reason,
        /**
         * Main refuses unless every CRITICAL/HIGH finding the revision introduces and every file the signer has
         * not marked viewed is acknowledged; the list is signed. Left out, it counts as empty (every channel).
         */
        acknowledgements: Acknowledgements.optional(),
      })
      .strict(),
    output: ApprovalView,
    access: ['reviewer', 'lead'],
  }),
  /** The files of a proposal's current revision the unlocked operator has marked viewed. */
  'review:viewed': channel({
    summary: 'Files you have marked viewed on the current revision',
    input: z.object({ repositoryId: Id, proposalId: ProposalId }).strict(),
    output: ViewedView,
    access: 'session',
  }),
  /** Marks or unmarks one file of the revision the operator sees (per operator, per revision). */
  'review:setViewed': channel({
    summary: 'Mark a file viewed or not viewed',
    input: z.object({ repositoryId: Id, proposalId: ProposalId, headOid: Oid, path: z.string().min(1).max(4096), viewed: z.boolean() }).strict(),
    output: ViewedView,
    access: 'session',
  }),
  /** Signs a rejection of the exact revision the reviewer saw. */
  'proposal:reject': channel({
    summary: 'Reject this exact revision (signed)',
    input: z.object({ ...RevisionRef, reason: Reason }).strict(),
    output: ApprovalView,
    access: ['reviewer', 'lead'],
  }),
  /** Revokes an approval (lead only; the revocation is signed and audited). */
  'approval:revoke': channel({
    summary: 'Revoke an approval',
    input: z.object({ repositoryId: Id, proposalId: ProposalId, jti: z.string().min(1).max(200), reason: Reason }).strict(),
    output: z.object({ revoked: z.literal(true) }),
    access: ['lead'],
  }),
  /** The proposal's approvals as one in-toto statement in a DSSE envelope. */
  'approval:exportDsse': channel({
    summary: 'Export approvals as an in-toto statement in a DSSE envelope',
    input: z.object({ repositoryId: Id, proposalId: ProposalId }).strict(),
    output: z.object({ envelope: z.string(), signatures: z.number().int() }),
    access: 'session',
  }),
  /** Applies the revision through the gate, after a checkpoint. */
  'proposal:apply': channel({
    summary: 'Apply the revision (policy gate, checkpoint, apply, audit)',
    input: z.object(RevisionRef).strict(),
    output: z.object({ newHead: Oid, checkpointId: z.string(), postApply: z.string() }),
    access: ['reviewer', 'lead'],
  }),
  /** Runs the policy's tests on base and head in the sandbox; output arrives as events. */
  'sandbox:run': channel({
    summary: 'Run the tests in the sandbox, base against head',
    input: z.object({ repositoryId: Id, proposalId: ProposalId }).strict(),
    output: z.object({ runId: z.string() }),
    access: ['reviewer', 'lead'],
  }),
  /** Cancels a sandbox run. */
  'sandbox:cancel': channel({
    summary: 'Cancel a sandbox run',
    input: z.object({ runId: z.string().min(1).max(100) }).strict(),
    output: z.object({ cancelled: z.boolean() }),
    access: ['reviewer', 'lead'],
  }),
} as const;
