/**
 * `gatehouse approve --ack` and `--all-files-reviewed-outside`: the acknowledgements a CLI approval signs.
 *
 * The rule is main's (core/viewed-marks.ts): every CRITICAL/HIGH finding the revision introduces and every
 * file the signer has not marked viewed needs an acknowledgement. A CLI reviewer marks nothing viewed, so
 * each changed file needs `reviewed-outside` (or the flag that says so for all of them) unless the same
 * operator ticked it in the console on this data directory.
 */
import {
  FILE_ACKNOWLEDGEMENTS,
  FINDING_ACKNOWLEDGEMENTS,
  missingAcknowledgements,
  requiredAcknowledgements,
  type Acknowledgement,
  type AcknowledgementKind,
  type RequiredAcknowledgement,
} from '../../shared/model/acknowledgement';
import type { Finding } from '../../shared/model/domain';
import { ErrorCode, GatehouseError } from '../../shared/model/result';

/** The kinds as written on the command line (`reviewed-outside` is the signed `reviewed-elsewhere`). */
const KIND_WORDS: Readonly<Record<string, AcknowledgementKind>> = {
  'accepted-risk': 'accepted-risk',
  'false-positive': 'false-positive',
  'fixed-elsewhere': 'fixed-elsewhere',
  'reviewed-outside': 'reviewed-elsewhere',
  'reviewed-elsewhere': 'reviewed-elsewhere',
};

/** Shortest finding fingerprint prefix `--ack` accepts. */
const MIN_PREFIX = 8;

/** Collects a repeatable commander option. */
export function collectAck(value: string, previous: ReadonlyArray<string> = []): string[] {
  return [...previous, value];
}

function kindWord(kind: AcknowledgementKind): string {
  return kind === 'reviewed-elsewhere' ? 'reviewed-outside' : kind;
}

/** One `--ack` line that would cover an item (the kind is the first that fits, for the reader to change). */
export function suggestAck(item: RequiredAcknowledgement): string {
  const f = item.finding;
  return f === null
    ? `--ack ${item.ref}=reviewed-outside    # file not viewed`
    : `--ack ${item.ref.slice(0, 12)}=accepted-risk    # ${f.severity.toUpperCase()} ${f.ruleId} at ${f.path}:${f.startLine}`;
}

/**
 * Turns `--ack REF=KIND` words into acknowledgements of this revision's required items.
 *
 * REF is a changed file's path or a finding fingerprint (a unique prefix of at least 8 characters).
 * A REF that names nothing outstanding is an input error, never silently dropped.
 */
export function parseAcks(
  words: ReadonlyArray<string>,
  allFilesReviewedOutside: boolean,
  findings: ReadonlyArray<Finding>,
  changedPaths: ReadonlyArray<string>,
  viewed: ReadonlySet<string>,
): { readonly acknowledgements: ReadonlyArray<Acknowledgement>; readonly missing: ReadonlyArray<RequiredAcknowledgement> } {
  const required = requiredAcknowledgements(findings, changedPaths, viewed);
  const chosen = new Map<string, Acknowledgement>();
  for (const word of words) {
    const at = word.lastIndexOf('=');
    if (at <= 0) throw new GatehouseError(ErrorCode.InvalidInput, `--ack ${word}: write FINDING_OR_PATH=KIND`);
    const ref = word.slice(0, at);
    const kind = KIND_WORDS[word.slice(at + 1)];
    if (kind === undefined) throw new GatehouseError(ErrorCode.InvalidInput, `--ack ${word}: KIND is one of ${Object.keys(KIND_WORDS).filter((k) => k !== 'reviewed-elsewhere').join(', ')}`);
    const file = required.find((item) => item.target === 'unviewed-file' && item.ref === ref);
    const findingsMatched = ref.length >= MIN_PREFIX ? required.filter((item) => item.target === 'finding' && item.ref.startsWith(ref)) : [];
    if (file === undefined && findingsMatched.length > 1) throw new GatehouseError(ErrorCode.InvalidInput, `--ack ${word}: ${ref} is the start of ${findingsMatched.length} fingerprints; give more of it`);
    const item = file ?? findingsMatched[0];
    if (item === undefined) {
      throw new GatehouseError(ErrorCode.InvalidInput, `--ack ${word}: ${ref} is neither an open CRITICAL/HIGH finding this revision introduces nor a changed file you have not viewed`);
    }
    const fits = item.target === 'finding' ? FINDING_ACKNOWLEDGEMENTS : FILE_ACKNOWLEDGEMENTS;
    if (!fits.includes(kind)) throw new GatehouseError(ErrorCode.InvalidInput, `--ack ${word}: a ${item.target === 'finding' ? 'finding' : 'file'} takes ${fits.map(kindWord).join(', ')}`);
    chosen.set(`${item.target}\u0000${item.ref}`, { target: item.target, ref: item.ref, kind });
  }
  if (allFilesReviewedOutside) {
    for (const item of required) {
      const key = `${item.target}\u0000${item.ref}`;
      if (item.target === 'unviewed-file' && !chosen.has(key)) chosen.set(key, { target: 'unviewed-file', ref: item.ref, kind: 'reviewed-elsewhere' });
    }
  }
  const acknowledgements = [...chosen.values()];
  return { acknowledgements, missing: missingAcknowledgements(required, acknowledgements) };
}
