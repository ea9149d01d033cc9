/**
 * Putting our findings and imported ones side by side without showing the same problem twice.
 *
 * Two findings are the same problem when they are on the same path, their line ranges overlap, they
 * share a CWE and they come from different tools. The first one (ours, when ours are listed first) is
 * kept, with both tool names (`gatehouse, Semgrep OSS`), the higher severity, and introduced if either
 * says so. Exact repeats (same fingerprint) collapse too.
 */
import type { Finding } from '../../../shared/model/domain';
import { compareFindings, severityRank } from './engine';

function toolsOf(finding: Finding): string[] {
  return finding.tool.split(', ').filter((t) => t.length > 0);
}

function sameProblem(a: Finding, b: Finding): boolean {
  if (a.path !== b.path) return false;
  if (a.endLine < b.startLine || b.endLine < a.startLine) return false;
  if (!a.cwe.some((c) => b.cwe.includes(c))) return false;
  const aTools = toolsOf(a);
  return !toolsOf(b).some((t) => aTools.includes(t));
}

/** Merges finding lists (earlier lists win ties), de-duplicating across tools; sorted for review. */
export function mergeFindings(...lists: ReadonlyArray<ReadonlyArray<Finding>>): ReadonlyArray<Finding> {
  const kept: Finding[] = [];
  const fingerprints = new Set<string>();
  const byPath = new Map<string, number[]>();
  for (const finding of lists.flat()) {
    if (fingerprints.has(finding.fingerprint)) continue;
    fingerprints.add(finding.fingerprint);
    const candidates = byPath.get(finding.path) ?? [];
    const index = candidates.find((i) => {
      const other = kept[i];
      return other !== undefined && sameProblem(other, finding);
    });
    if (index === undefined) {
      byPath.set(finding.path, [...candidates, kept.length]);
      kept.push(finding);
      continue;
    }
    const base = kept[index];
    if (base === undefined) continue;
    const tools = [...toolsOf(base)];
    for (const t of toolsOf(finding)) if (!tools.includes(t)) tools.push(t);
    kept[index] = {
      ...base,
      severity: severityRank(finding.severity) > severityRank(base.severity) ? finding.severity : base.severity,
      cwe: [...base.cwe, ...finding.cwe.filter((c) => !base.cwe.includes(c))],
      introduced: base.introduced || finding.introduced,
      tool: tools.join(', '),
    };
  }
  return kept.sort(compareFindings);
}
