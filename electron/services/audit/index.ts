/**
 * The audit service: a tamper-evident, append-only audit log that auditors can verify offline.
 *
 * Open a log with {@link openAuditStore}; verify an export with no database with {@link verifyJsonl}.
 */
export { openAuditStore, DEFAULT_HEAD_EVERY, MAX_BATCH } from './store';
export type { AuditStore, OpenAuditStoreOptions, AuditVerifyOptions, AuditExportOptions } from './store';
export {
  AUDIT_ACTIONS,
  AUDIT_ROLES,
  ACTION_PATTERN,
  AuditRole,
  AuditInputError,
  MAX_ACTION_LENGTH,
  MAX_ACTOR_LENGTH,
  MAX_SUBJECT_LENGTH,
  MAX_PAYLOAD_BYTES,
  MAX_PAYLOAD_DEPTH,
  checkEventInput,
} from './events';
export type { AuditEvent, AuditEventInput, JsonObject, JsonValue, KnownAuditAction } from './events';
export { GENESIS_HASH, canonicalRecord, sha256Hex, loadCanonicalize } from './chain';
export type { Canonicalize, ChainFields } from './chain';
export { HEADS_FILE, HEAD_SIGNATURE_CONTEXT, appendHeadsToFile, chainHeadProblem, headLine, headSigningInput, parseHeadLine, readHeadsFile } from './chain-heads';
export type { ChainHead } from './chain-heads';
export { VERIFY_FAULTS } from './report';
export type { VerifyFault, VerifyReport, VerifyProgress } from './report';
export { verifyJsonl, EXPORT_FORMAT, EXPORT_VERSION } from './jsonl';
export { prestartVerifyWorkers } from './verify';
export type { VerifyWorkers } from './verify';
export type { ExportSummary, VerifyJsonlOptions } from './jsonl';
export { ftsQuery } from './query';
export type { AuditFilter, AuditSearchRequest, AuditPage, ActionCount } from './query';
export {
  loadOrCreateWorkstationKey,
  readWorkstationPublicKey,
  keyIdOf,
  WORKSTATION_KEY_FILE,
} from './workstation-key';
export type { WorkstationKey, WorkstationPublicKey } from './workstation-key';
export { auditPaths } from './paths';
export type { AuditPaths } from './paths';
export { AUDIT_MIGRATIONS, AUDIT_SCHEMA_VERSION, AUDIT_SCHEMA_DOMAIN } from './schema';
