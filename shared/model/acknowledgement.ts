/**
 * What an approver explicitly accepts when approving with open CRITICAL/HIGH findings or files they did
 * not mark viewed: one acknowledgement per finding or file, carried inside the signed approval.
 * Pure: no Node, DOM or Electron.
 */
import { z } from 'zod';
import type { Finding } from './domain';

/** Why an item is acknowledged. */
export const AcknowledgementKind = z.enum(['accepted-risk', 'false-positive', 'fixed-elsewhere', 'reviewed-elsewhere']);
export type AcknowledgementKind = z.infer<typeof AcknowledgementKind>;

/** Kinds that fit a finding. */
export const FINDING_ACKNOWLEDGEMENTS: ReadonlyArray<AcknowledgementKind> = ['accepted-risk', 'false-positive', 'fixed-elsewhere'];
/** Kinds that fit a file the signer did not mark viewed. */
export const FILE_ACKNOWLEDGEMENTS: ReadonlyArray<AcknowledgementKind> = ['accepted-risk', 'reviewed-elsewhere'];

/** Plain-language labels of the kinds. */
export const ACKNOWLEDGEMENT_LABELS: Readonly<Record<AcknowledgementKind, string>> = {
  'accepted-risk': 'Accepted risk',
  'false-positive': 'False positive',
  'fixed-elsewhere': 'Fixed elsewhere',
  'reviewed-elsewhere': 'Reviewed outside the console',
};

/** Most acknowledgements one approval carries (the signed token stays well under its size bound). */
export const MAX_ACKNOWLEDGEMENTS = 64;

/** One acknowledgement: a finding (by fingerprint) or an unviewed file (by path), and why. */
export const Acknowledgement = z
  .object({
    target: z.enum(['finding', 'unviewed-file']),
    /** The finding's fingerprint, or the file's path. */
    ref: z.string().min(1).max(300),
    kind: AcknowledgementKind,
  })
  .strict()
  .refine((ack) => (ack.target === 'finding' ? FINDING_ACKNOWLEDGEMENTS : FILE_ACKNOWLEDGEMENTS).includes(ack.kind), {
    message: 'this kind of acknowledgement does not fit its target',
  });
export type Acknowledgement = z.infer<typeof Acknowledgement>;

/** A list of acknowledgements, bounded. */
export const Acknowledgements = z.array(Acknowledgement).max(MAX_ACKNOWLEDGEMENTS, `at most ${MAX_ACKNOWLEDGEMENTS} acknowledgements`);

/** One item an approver must acknowledge before approving. */
export interface RequiredAcknowledgement {
  readonly target: 'finding' | 'unviewed-file';
  readonly ref: string;
  readonly path: string;
  /** The finding, for a finding. */
  readonly finding: Finding | null;
}

/** Severities whose introduced findings need an acknowledgement to approve. */
export const BLOCKING_SEVERITIES: ReadonlyArray<Finding['severity']> = ['critical', 'high'];

/**
 * What an approval of a revision must acknowledge: every CRITICAL/HIGH finding the revision introduces,
 * then every changed file the signer has not marked viewed on this revision.
 */
export function requiredAcknowledgements(
  findings: ReadonlyArray<Finding>,
  changedPaths: ReadonlyArray<string>,
  viewed: ReadonlySet<string>,
): ReadonlyArray<RequiredAcknowledgement> {
  const required: RequiredAcknowledgement[] = [];
  const seen = new Set<string>();
  for (const finding of findings) {
    if (!finding.introduced || !BLOCKING_SEVERITIES.includes(finding.severity) || seen.has(finding.fingerprint)) continue;
    seen.add(finding.fingerprint);
    required.push({ target: 'finding', ref: finding.fingerprint, path: finding.path, finding });
  }
  for (const path of changedPaths) {
    if (!viewed.has(path)) required.push({ target: 'unviewed-file', ref: path, path, finding: null });
  }
  return required;
}

/** The required items the given acknowledgements leave uncovered. */
export function missingAcknowledgements(
  required: ReadonlyArray<RequiredAcknowledgement>,
  given: ReadonlyArray<Acknowledgement>,
): ReadonlyArray<RequiredAcknowledgement> {
  const covered = new Set(given.map((ack) => `${ack.target}\u0000${ack.ref}`));
  return required.filter((item) => !covered.has(`${item.target}\u0000${item.ref}`));
}
