/**
 * The git service: repositories, proposals, review diffs, imports, checkpoints, apply and rollback,
 * written on isomorphic-git (no native git, hook, filter or external diff is ever run).
 *
 * Open one {@link GitRepository} handle per registered repository with {@link openRepository} and pass
 * it to every call; the handle holds the shared isomorphic-git cache and serialises changing operations.
 */
export { applyRevision, type ApplyInput, type ApplyResult, type ApprovedRevision } from './apply';
export {
  CHECKPOINT_REF_PREFIX,
  DEFAULT_CHECKPOINT_INTERVAL_MS,
  countCheckpoints,
  createCheckpoint,
  getCheckpoint,
  listCheckpoints,
  pruneCheckpoints,
  startCheckpointTimer,
  validateCheckpointId,
  type Checkpoint,
  type CheckpointTimer,
  type CheckpointTimerOptions,
  type CreateCheckpointInput,
  type CreatedCheckpoint,
  type PrunePolicy,
} from './checkpoints';
export { showCheckpoint, type CheckpointShow } from './checkpoint-show';
export {
  DEFAULT_MAX_TEXT_BYTES,
  diffRevision,
  fileContents,
  readBlobAtRef,
  type BlobAtRef,
  type DiffFile,
  type DiffFileFlags,
  type DiffOptions,
  type DiffStatus,
  type EntryKind,
  type FileContents,
  type FileContentsInput,
  type FileSide,
  type RevisionDiff,
} from './diff';
export { GitConflictError, GitInvalidInputError, GitNotFoundError, GitRefusedError, GitUnsupportedError, UnsafePathError } from './errors';
export {
  AgentIdentity,
  ChangeSet,
  ChangeSetChange,
  DEFAULT_IMPORT_LIMITS,
  PatchImportMeta,
  importChangeSet,
  importUnifiedDiff,
  type ImportChangeSetInput,
  type ImportLimits,
  type ImportResult,
  type ImportUnifiedDiffInput,
} from './import';
export { materialiseTree, type MaterialiseInput, type MaterialiseResult } from './materialise';
export { GATEHOUSE_NOTES_REF, addNote, appendNote, readNote, type AddNoteInput } from './notes';
export { resolveSymlinkTargetLexically, validateRepoPath, validateTreeEntryName } from './path-safety';
export { findSymlinkEscapes, revisionSymlinkEscapes, type RevisionSymlinkEscape, type SymlinkEscape } from './symlink-escapes';
export {
  getProposal,
  listProposals,
  listRevisions,
  type CommitPerson,
  type ListProposalsOptions,
  type ProposalSummary,
  type Revision,
  type RevisionCommit,
} from './proposals';
export {
  REPOSITORY_MIGRATIONS,
  openRepositoryRegistry,
  type AddRepositoryInput,
  type RepositoryRecord,
  type RepositoryRegistry,
  type RepositoryRegistryOptions,
  type UpdateRepositoryInput,
} from './registry';
export { DEFAULT_PROPOSAL_PATTERN, GATEHOUSE_IDENTITY, openRepository, type GitIdentity, type GitRepository, type OpenRepositoryOptions } from './repository';
export { previewRollback, restoreState, rollback, type RollbackInput, type RollbackPreview, type RollbackResult } from './rollback';
export { crashPoint, JOURNAL_FILE, readJournal, type OperationJournal } from './journal';
export { recoverInterruptedOperation, type RecoveryReport } from './recover';
export { checkDirty, type CheckDirtyOptions, type DirtyState } from './status';
export type { HiddenCharacter } from './text';
