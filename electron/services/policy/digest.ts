/** The digest of the policy in force, which every approval carries. */
import type { Policy } from '../../../shared/model/policy';
import { canonicalDigest } from '../approvals/digest';

/**
 * `sha256:` + hex SHA-256 of the validated policy (defaults filled in) as RFC 8785 canonical JSON.
 *
 * Comments, key order and formatting of the YAML do not change it; any setting does.
 */
export function policyDigest(policy: Policy): string {
  return canonicalDigest({ type: 'gatehouse-policy', policy });
}
