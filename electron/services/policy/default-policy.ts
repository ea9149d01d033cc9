/** The policy a new workspace starts with, as documented YAML. */

/**
 * The default `.gatehouse/policy.yaml`: the defaults, every key explained.
 *
 * LOW/MEDIUM/MINIMAL: one reviewer; HIGH: one lead; CRITICAL: two distinct operators, one a lead;
 * sandbox pass required at HIGH and CRITICAL; one apply per repository per hour; 24 h approvals;
 * 15 min idle lock; roll back by itself after a regression.
 */
export function defaultPolicyYaml(): string {
  return `# Gatehouse policy (schema: shared/model/policy.schema.json).
# Deny by default: if this file is missing or invalid, nothing can be applied.
# Check it with: gatehouse policy check .gatehouse/policy.yaml
version: 1

# Approvals each risk level needs before apply, from distinct operators.
#   count: how many operators must approve (2 = the two-person rule)
#   role:  lowest role that counts: reviewer (reviewers and leads) or lead (leads only)
#   leads: how many of them must be leads
# The author of a change never counts, and a standing rejection blocks the apply.
approvals:
  MINIMAL: { count: 1, role: reviewer }
  LOW: { count: 1, role: reviewer }
  MEDIUM: { count: 1, role: reviewer }
  HIGH: { count: 1, role: lead }
  CRITICAL: { count: 2, role: reviewer, leads: 1 }

# Risk levels that need a passing sandbox run of the tests on the proposed head.
sandboxRequired: [HIGH, CRITICAL]

# Paths whose change raises the risk (globs, relative to the repository root).
# Changes to .gatehouse/ (this policy, the trust list) are always CRITICAL.
sensitivePaths:
  - ".github/**"
  - ".gatehouse/**"
  - "**/Dockerfile"
  - "**/*.pem"
  - "**/*.key"
  - "**/auth/**"
  - "**/security/**"
  - "package.json"
  - "package-lock.json"

# Imports the analyser flags wherever a revision adds them.
deniedImports:
  - "child_process"
  - "node:child_process"
  - "vm"
  - "node:vm"
  - "subprocess"
  - "pickle"
  - "marshal"

# The sandbox that runs tests before approval and after apply: no network, read-only root,
# non-root user, no capabilities. Every limit is finite; unlimited values are refused.
sandbox:
  image: "gatehouse/sandbox:1"       # built offline by build/sandbox-image/build.sh
  # imageDigest: "sha256:..."   # pin the image; a different digest is refused
  testCommand: ["npm", "test"]
  # benchmarkCommand: ["npm", "run", "bench"]
  # A benchmark slowdown is a regression only when it is both large and significant: base and head
  # run alternately in benchmarkPairs to benchmarkMaxPairs pairs (within benchmarkBudgetSeconds), the median head/base
  # ratio must exceed 1 + regressionThreshold, and a one-sided Wilcoxon signed-rank test on the
  # pairs must give p < regressionSignificance. Too noisy to decide is "inconclusive", never a
  # regression; onInconclusive says whether that passes or fails the gate (after an apply, "fail"
  # asks a lead: only a significant regression rolls back by itself).
  regressionThreshold: 0.10     # minimum effect: a median slowdown of 10 %
  regressionSignificance: 0.01  # p-value of the one-sided rank test
  benchmarkPairs: 10            # base/head pairs, at least 10
  benchmarkMaxPairs: 60         # more pairs while the answer is open, up to this
  benchmarkBudgetSeconds: 600   # time budget for the pairs
  onInconclusive: pass          # pass or fail
  concurrency: 2                # sandboxed runs at once
  limits:
    memoryMb: 256               # memory = memory+swap (no swap)
    cpus: 1
    pidsLimit: 128
    timeoutSeconds: 120
    outputBytes: 1048576        # per stream
    tmpfsMb: 64
    nofile: 1024
    fsizeMb: 64

approvalLifetimeHours: 24       # a signed approval expires after this (at most 168)
appliesPerHour: 1               # per repository; counted from the audit log, so it holds across restarts
idleLockMinutes: 15             # an unlocked operator session locks after this much idle time
onRegression: rollback          # after an apply breaks tests or regresses: rollback (by itself) or ask

# Checkpoints kept: the newest keepLast, and every one newer than keepDays. The rest are pruned after
# each apply and rollback (pruneAutomatically) or with \`gatehouse checkpoint prune\`; the last apply's
# checkpoint and the state the repository is in are never pruned.
checkpoints:
  keepLast: 20
  keepDays: 14
  pruneAutomatically: true
`;
}
