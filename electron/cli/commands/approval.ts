/**
 * `gatehouse approval verify TOKEN|FILE --trust FILE [--repo R]`: checks a signed decision offline.
 *
 * Accepts a compact JWS (approval, rejection or revocation), a file holding one, or a file holding
 * a DSSE envelope exported by Gatehouse. Exit 0 when it verifies, 1 when it does not, 2 on bad input.
 */
import type { Command } from 'commander';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';
import { MAX_TOKEN_LENGTH, REVOCATION_TYP } from '../../services/approvals/claims';
import { verifyAttestation } from '../../services/approvals/dsse';
import {
  ApprovalVerificationError,
  inspectApproval,
  verifyRevocation,
  type VerificationReason,
} from '../../services/approvals/verify';
import { parseTrustList, type TrustList } from '../../services/identity/trust-list';
import { CliExit, emit, EXIT_CHECK_FAILED, EXIT_USAGE } from '../io';

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;
const MAX_INPUT_BYTES = 4 * 1024 * 1024;
const OID = /^[0-9a-f]{40}$/;

interface VerifyOptions {
  readonly trust: string;
  readonly repo?: string;
  readonly head?: string;
  readonly tree?: string;
  readonly at?: string;
  readonly json?: boolean;
}

type Outcome =
  | { readonly ok: true; readonly kind: 'approval' | 'revocation' | 'dsse'; readonly summary: string; readonly detail: unknown }
  | { readonly ok: false; readonly kind: 'approval' | 'revocation' | 'dsse'; readonly reason: VerificationReason | 'envelope'; readonly message: string };

function readSmallFile(path: string, what: string): string {
  if (!existsSync(path)) throw new GatehouseError(ErrorCode.NotFound, `no such ${what} file: ${path}`);
  const size = statSync(path).size;
  if (size > MAX_INPUT_BYTES) throw new GatehouseError(ErrorCode.InvalidInput, `${path} is larger than ${MAX_INPUT_BYTES} bytes`);
  return readFileSync(path, 'utf8');
}

function headerTyp(token: string): unknown {
  try {
    const header: unknown = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null ? (header as Record<string, unknown>).typ : undefined;
  } catch {
    return undefined;
  }
}

function mismatch(reason: VerificationReason, message: string): never {
  throw new ApprovalVerificationError(reason, message);
}

async function verifyToken(token: string, trustList: TrustList, now: Date, options: VerifyOptions): Promise<Outcome> {
  if (headerTyp(token) === REVOCATION_TYP) {
    const revocation = await verifyRevocation(token, { trustList, now, ...(options.repo === undefined ? {} : { audience: options.repo }) });
    return {
      ok: true,
      kind: 'revocation',
      summary: `valid revocation of ${revocation.claims.revokes} by ${revocation.signer.name} (lead): ${revocation.claims.reason}`,
      detail: { signer: revocation.signer, claims: revocation.claims },
    };
  }
  const approval = await inspectApproval(token, { trustList, now });
  const { claims, signer } = approval;
  if (options.repo !== undefined && claims.aud !== options.repo) mismatch('audience', `the approval is for repository ${claims.aud}, not ${options.repo}`);
  if (options.head !== undefined && claims.head !== options.head) mismatch('binding', `the approval is for head ${claims.head}, not ${options.head}`);
  if (options.tree !== undefined && claims.tree !== options.tree) mismatch('binding', `the approval is for tree ${claims.tree}, not ${options.tree}`);
  return {
    ok: true,
    kind: 'approval',
    summary: [
      `valid ${claims.decision === 'approve' ? 'approval' : 'rejection'} by ${signer.name} (${signer.role}, ${signer.keyId})`,
      `  repository ${claims.aud}, proposal ${claims.sub}`,
      `  head ${claims.head}, tree ${claims.tree}, base ${claims.base}`,
      `  risk ${claims.risk}, expires ${new Date(claims.exp * 1000).toISOString()}`,
      `  reason: ${claims.reason}`,
    ].join('\n'),
    detail: { signer, claims },
  };
}

async function verifyEnvelope(text: string, trustList: TrustList, options: VerifyOptions): Promise<Outcome> {
  let envelope: unknown;
  try {
    envelope = JSON.parse(text);
  } catch {
    throw new GatehouseError(ErrorCode.InvalidInput, 'the file is neither a token nor JSON');
  }
  const { statement, signers } = await verifyAttestation(envelope, trustList);
  const { predicate } = statement;
  if (options.repo !== undefined && predicate.repository !== options.repo)
    mismatch('audience', `the attestation is for repository ${predicate.repository}, not ${options.repo}`);
  if (options.head !== undefined && predicate.revision.head !== options.head) mismatch('binding', `the attestation is for head ${predicate.revision.head}`);
  if (options.tree !== undefined && predicate.revision.tree !== options.tree) mismatch('binding', `the attestation is for tree ${predicate.revision.tree}`);
  return {
    ok: true,
    kind: 'dsse',
    summary: [
      `valid DSSE envelope signed by ${signers.map((s) => `${s.name} (${s.role})`).join(', ')}`,
      `  repository ${predicate.repository}, proposal ${predicate.proposal}, head ${predicate.revision.head}`,
      ...predicate.decisions.map((d) => `  ${d.decision} by ${d.signer.name} (${d.signer.role}), expires ${d.expiresAt}: ${d.reason}`),
    ].join('\n'),
    detail: { signers, statement },
  };
}

/** Registers `gatehouse approval ...`. */
export function registerApprovalCommands(program: Command): void {
  const approval = program.command('approval').description('signed decisions: approvals, rejections, revocations');
  approval
    .command('verify')
    .description('verify a signed decision or DSSE attestation offline (exit 0 valid, 1 invalid)')
    .argument('<token-or-file>', 'a compact JWS, or a file holding one or a DSSE envelope')
    .requiredOption('--trust <file>', 'trust list JSON (.gatehouse/trust.json of the target branch)')
    .option('--repo <id>', 'the repository id the decision must be for (its audience)')
    .option('--head <oid>', 'the head commit the decision must be for')
    .option('--tree <oid>', 'the tree the decision must be for')
    .option('--at <time>', 'verify as of this ISO 8601 time instead of now')
    .option('--json', 'print the result as JSON')
    .action(async (input: string, options: VerifyOptions) => {
      const json = options.json === true;
      for (const [name, value] of [['--head', options.head], ['--tree', options.tree]] as const)
        if (value !== undefined && !OID.test(value)) throw new CliExit(EXIT_USAGE, `${name} must be a 40-hex object id`);
      const now = options.at === undefined ? new Date() : new Date(options.at);
      if (Number.isNaN(now.getTime())) throw new CliExit(EXIT_USAGE, '--at must be an ISO 8601 time');
      const trustList = parseTrustList(readSmallFile(options.trust, 'trust list'));

      let text: string;
      if (input.length <= MAX_TOKEN_LENGTH && COMPACT_JWS.test(input)) text = input;
      else if (existsSync(input)) text = readSmallFile(input, 'token').trim();
      else throw new GatehouseError(ErrorCode.InvalidInput, 'the argument is neither a compact JWS nor an existing file');
      const isEnvelope = text.startsWith('{');
      const kind = isEnvelope ? 'dsse' : headerTyp(text) === REVOCATION_TYP ? 'revocation' : 'approval';

      let outcome: Outcome;
      try {
        outcome = isEnvelope ? await verifyEnvelope(text, trustList, options) : await verifyToken(text, trustList, now, options);
      } catch (error) {
        if (error instanceof ApprovalVerificationError) outcome = { ok: false, kind, reason: error.reason, message: error.message };
        else if (error instanceof GatehouseError && error.code === ErrorCode.VerificationFailed)
          outcome = { ok: false, kind, reason: 'envelope', message: error.message };
        else throw error;
      }
      emit(json, outcome.ok ? { ok: true, kind: outcome.kind, ...(outcome.detail as object) } : outcome, () =>
        outcome.ok ? outcome.summary : `refused (${outcome.reason}): ${outcome.message}`,
      );
      if (!outcome.ok) process.exitCode = EXIT_CHECK_FAILED;
    });
}
