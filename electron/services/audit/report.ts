/**
 * The verification report, and the bookkeeping shared by the database verifier and the JSON Lines
 * verifier: signed heads met along the way, the first fault, and how far the chain is attested.
 */
import { ErrorCode, GatehouseError } from '../../../shared/model/result';
import type { Canonicalize } from './chain';
import { chainHeadProblem, type ChainHead, type PublicKeyCache } from './chain-heads';

/**
 * Every kind of fault verification reports.
 *
 * - `modified`: an event's bytes or hash changed (or it was re-hashed, breaking its successor's link).
 * - `missing`: a seq is absent (a row or line was removed).
 * - `reordered`: a genuine event sits at another position (rows swapped, lines moved or repeated).
 * - `truncated`: a signed head attests events beyond the end of the log.
 * - `head-mismatch`: a signed head names a different hash than the chain has at its seq (a re-forged
 *   chain, or an older copy that diverged).
 * - `head-signature-invalid`: a head's signature does not verify, or its key is not trusted.
 * - `unattested`: events after the last signed head where a seal was required (an export with lines
 *   appended after its closing head, or cut before it).
 * - `malformed`: a JSON Lines line (export or heads file) is not a valid record of the format.
 */
export const VERIFY_FAULTS = [
  'modified',
  'missing',
  'reordered',
  'truncated',
  'head-mismatch',
  'head-signature-invalid',
  'unattested',
  'malformed',
] as const;

/** One of {@link VERIFY_FAULTS}. */
export type VerifyFault = (typeof VERIFY_FAULTS)[number];

/** What verification found. */
export interface VerifyReport {
  readonly ok: boolean;
  /** Events checked and found intact before the first fault (all of them when ok). */
  readonly checked: number;
  /** The last seq read (the end of the log when ok). */
  readonly lastSeq: number;
  /** The hash at lastSeq, or the genesis value for an empty log. */
  readonly lastHash: string;
  /**
   * The first event that can no longer be vouched for, or null when ok (or when the fault is a malformed
   * line that names no seq). For `head-mismatch` and `unattested` it is the first seq after the last head
   * that did verify: the fault lies somewhere from there to the failing head.
   */
  readonly firstBadSeq: number | null;
  readonly reason: VerifyFault | null;
  /** One sentence for people. */
  readonly message: string;
  /** Distinct signed heads checked. */
  readonly headsChecked: number;
  /** The highest seq covered by a head that verified against the chain (0 when none). */
  readonly lastAttestedSeq: number;
  /** Key ids of the heads met, so an auditor can compare them with the workstation's. */
  readonly keyIds: ReadonlyArray<string>;
}

/** Progress of a running verification. */
export interface VerifyProgress {
  readonly checked: number;
  /** 0..1. */
  readonly fraction: number;
}

/** Options shared by both verifiers. */
export interface VerifyCommonOptions {
  /** Key ids to accept for heads; empty or absent accepts any key whose signature verifies. */
  readonly trustedKeyIds?: ReadonlyArray<string>;
  /** A heads file kept outside the database (the auditor's copy) whose heads must all hold. */
  readonly headsFile?: string;
  readonly onProgress?: (progress: VerifyProgress) => void;
  readonly signal?: AbortSignal;
}

/** A fault found during verification. */
export interface Fault {
  readonly reason: VerifyFault;
  readonly firstBadSeq: number | null;
  readonly message: string;
}

/** Throws the Cancelled error when the signal has fired. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new GatehouseError(ErrorCode.Cancelled, 'audit verification was cancelled');
}

/** Lets the event loop run (progress events, a cancel click) between chunks of work. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

interface PendingHead {
  readonly head: ChainHead;
  readonly problem: string | null;
}

/**
 * Tracks signed heads against a chain being read in seq order.
 *
 * Heads may come from the database, a heads file, or the export itself; the same head seen twice counts
 * once. Each is checked when the chain reaches its seq.
 */
export class HeadLedger {
  private readonly pending: PendingHead[] = [];
  private readonly seen = new Set<string>();
  private readonly keyIds = new Set<string>();
  private readonly keys: PublicKeyCache = new Map();
  private readonly trusted: ReadonlySet<string> | null;
  private sorted = true;
  private next = 0;
  private attested = 0;

  constructor(
    private readonly canonicalize: Canonicalize,
    trustedKeyIds: ReadonlyArray<string> | undefined,
  ) {
    this.trusted = trustedKeyIds && trustedKeyIds.length > 0 ? new Set(trustedKeyIds) : null;
  }

  /** Adds a head to check; duplicates are ignored. */
  add(head: ChainHead): void {
    const id = `${head.seq}:${head.hash}:${head.signature}`;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    this.keyIds.add(head.keyId);
    const problem = chainHeadProblem(this.canonicalize, head, this.trusted, this.keys);
    const last = this.pending[this.pending.length - 1];
    if (last && last.head.seq > head.seq) this.sorted = false;
    this.pending.push({ head, problem });
  }

  /** Distinct heads added so far. */
  get count(): number {
    return this.seen.size;
  }

  /** Highest seq attested by a head that checked out. */
  get lastAttestedSeq(): number {
    return this.attested;
  }

  /** The key ids met. */
  get keyIdList(): ReadonlyArray<string> {
    return [...this.keyIds].sort();
  }

  private order(): void {
    if (this.sorted) return;
    const rest = this.pending.splice(this.next).sort((a, b) => a.head.seq - b.head.seq);
    this.pending.push(...rest);
    this.sorted = true;
  }

  /** Where the ledger stands, to go back to with {@link restore} (heads added meanwhile are not undone). */
  save(): { readonly next: number; readonly attested: number } {
    this.order();
    return { next: this.next, attested: this.attested };
  }

  /** Goes back to a point {@link save} returned. */
  restore(saved: { readonly next: number; readonly attested: number }): void {
    this.next = saved.next;
    this.attested = saved.attested;
  }

  /** Checks every head at `seq` against the chain's hash there. Call once per seq, in order. */
  reach(seq: number, hash: string): Fault | null {
    this.order();
    // All heads at this seq are judged together, so one that matches cannot vouch for the seq while
    // another, from the same or an outside copy, says otherwise.
    let mismatch: ChainHead | null = null;
    let matched = false;
    while (this.next < this.pending.length) {
      const entry = this.pending[this.next];
      if (!entry || entry.head.seq > seq) break;
      this.next += 1;
      if (entry.problem !== null) {
        return { reason: 'head-signature-invalid', firstBadSeq: entry.head.seq, message: entry.problem };
      }
      if (entry.head.seq < seq) {
        // Heads are checked as the chain passes their seq; one that arrives later cannot be checked in a
        // single streaming pass, and exports never write one.
        return { reason: 'malformed', firstBadSeq: entry.head.seq, message: `the head for seq ${entry.head.seq} comes after seq ${seq}` };
      }
      if (entry.head.hash === hash) matched = true;
      else mismatch ??= entry.head;
    }
    if (mismatch !== null) {
      return {
        reason: 'head-mismatch',
        firstBadSeq: this.attested + 1,
        message: `the head signed at ${mismatch.ts} by key ${mismatch.keyId} says seq ${seq} has hash ${mismatch.hash}, but the chain has ${hash}: events after seq ${this.attested} were rewritten`,
      };
    }
    if (matched) this.attested = seq;
    return null;
  }

  /** After the last event: any head beyond it means the log was cut. */
  finish(lastSeq: number): Fault | null {
    this.order();
    let beyond: ChainHead | null = null;
    for (let i = this.next; i < this.pending.length; i++) {
      const entry = this.pending[i];
      if (!entry) continue;
      if (entry.problem !== null) {
        return { reason: 'head-signature-invalid', firstBadSeq: entry.head.seq, message: entry.problem };
      }
      if (entry.head.seq > lastSeq && (beyond === null || entry.head.seq > beyond.seq)) beyond = entry.head;
    }
    if (beyond === null) return null;
    return {
      reason: 'truncated',
      firstBadSeq: lastSeq + 1,
      message: `truncated after seq ${lastSeq}: the head signed at ${beyond.ts} by key ${beyond.keyId} attests seq ${beyond.seq}${
        this.attested > 0 ? ` (last matching head: seq ${this.attested})` : ''
      }`,
    };
  }
}

/** Builds the final report. */
export function buildReport(
  state: { readonly checked: number; readonly lastSeq: number; readonly lastHash: string },
  ledger: HeadLedger,
  fault: Fault | null,
): VerifyReport {
  const attestation =
    state.lastSeq === 0
      ? ''
      : ledger.lastAttestedSeq === state.lastSeq
        ? ', all attested by signed heads'
        : ledger.lastAttestedSeq === 0
          ? ', none attested by a signed head yet'
          : `, attested by signed heads up to seq ${ledger.lastAttestedSeq}`;
  return {
    ok: fault === null,
    checked: state.checked,
    lastSeq: state.lastSeq,
    lastHash: state.lastHash,
    firstBadSeq: fault ? fault.firstBadSeq : null,
    reason: fault ? fault.reason : null,
    message: fault ? fault.message : `intact: ${state.checked} events${attestation}`,
    headsChecked: ledger.count,
    lastAttestedSeq: ledger.lastAttestedSeq,
    keyIds: ledger.keyIdList,
  };
}
