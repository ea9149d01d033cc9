/**
 * The acknowledgements a test approval signs when the test is not about them: every open CRITICAL/HIGH
 * finding the revision introduces as accepted risk, every changed file as reviewed outside the console
 * (a test marks nothing viewed). Main requires them on every channel (issue 14).
 */
import { requiredAcknowledgements, type Acknowledgement } from '../../shared/model/acknowledgement';
import type { Finding } from '../../shared/model/domain';

/** Acknowledges everything a revision shown by `proposal:show` needs, for a signer who viewed nothing. */
export function acknowledgeAll(detail: { readonly findings: ReadonlyArray<Finding>; readonly files: ReadonlyArray<{ readonly path: string }> }): Acknowledgement[] {
  return requiredAcknowledgements(
    detail.findings,
    detail.files.map((file) => file.path),
    new Set(),
  ).map((item) => ({ target: item.target, ref: item.ref, kind: item.target === 'finding' ? 'accepted-risk' : 'reviewed-elsewhere' }));
}
