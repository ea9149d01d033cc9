/**
 * runc version parsing and the container-escape CVEs an engine's runc may still carry.
 *
 * Pure. Versions are compared as release numbers; distribution builds (Debian's `1.1.5+ds1`) may carry
 * backported fixes the number does not show, so the warning says to check the vendor's advisory.
 */

/** A parsed runc version: release numbers plus an optional pre-release such as `rc.3`. */
export interface RuncVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** Pre-release identifiers (`['rc', 3]`); empty for a release. */
  readonly prerelease: ReadonlyArray<string | number>;
  /** The text it was parsed from. */
  readonly raw: string;
}

/** Parses `1.1.12`, `v1.4.0-rc.3`, `1.1.5+ds1`, `1.1.5+ds1-1+deb12u1`; null when it is not a version. */
export function parseRuncVersion(text: string): RuncVersion | null {
  const match = /^\s*v?(\d+)\.(\d+)(?:\.(\d+))?(?:-((?:rc|alpha|beta)[0-9A-Za-z.]*))?/.exec(text);
  if (!match) return null;
  const prerelease = (match[4] ?? '')
    .split(/\.|(?<=[a-z])(?=\d)/)
    .filter((part) => part !== '')
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  return {
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: Number(match[3] ?? '0'),
    prerelease,
    raw: text.trim(),
  };
}

/** Orders two versions (SemVer 2.0.0 §11: a pre-release sorts before its release); <0, 0 or >0. */
export function compareRuncVersions(a: RuncVersion, b: RuncVersion): number {
  for (const key of ['major', 'minor', 'patch'] as const) {
    if (a[key] !== b[key]) return a[key] - b[key];
  }
  if (a.prerelease.length === 0 || b.prerelease.length === 0) {
    return (a.prerelease.length === 0 ? 1 : 0) - (b.prerelease.length === 0 ? 1 : 0);
  }
  const n = Math.max(a.prerelease.length, b.prerelease.length);
  for (let i = 0; i < n; i++) {
    const x = a.prerelease[i];
    const y = b.prerelease[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    if (typeof x === 'number') return -1;
    if (typeof y === 'number') return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

function v(text: string): RuncVersion {
  const parsed = parseRuncVersion(text);
  if (!parsed) throw new Error(`bad version literal ${text}`);
  return parsed;
}

/** A runc advisory: the first fixed version on each maintained release line. */
interface RuncAdvisory {
  readonly cves: string;
  readonly what: string;
  /** Fixed versions, one per release line (major.minor); lines older than all of them are not fixed. */
  readonly fixedIn: ReadonlyArray<RuncVersion>;
}

const ADVISORIES: ReadonlyArray<RuncAdvisory> = [
  {
    // https://github.com/opencontainers/runc/security/advisories/GHSA-xr7r-f8xq-vfvv ("Leaky Vessels")
    cves: 'CVE-2024-21626',
    what: 'leaked host file descriptor lets a container escape through its working directory',
    fixedIn: [v('1.1.12')],
  },
  {
    // GHSA-9493-h29p-rfm2, GHSA-qw9x-cqr3-wc7r, GHSA-cgrx-mc8f-2prm (November 2025)
    cves: 'CVE-2025-31133, CVE-2025-52565, CVE-2025-52881',
    what: 'writes to arbitrary /proc files through masked-path and /dev/console races allow a container escape',
    fixedIn: [v('1.2.8'), v('1.3.3'), v('1.4.0-rc.3')],
  },
];

/** Whether `version` carries the fix: at or above the fix on its own release line, or on a newer line. */
function isFixed(version: RuncVersion, fixedIn: ReadonlyArray<RuncVersion>): boolean {
  const sameLine = fixedIn.find((fix) => fix.major === version.major && fix.minor === version.minor);
  if (sameLine) return compareRuncVersions(version, sameLine) >= 0;
  const newest = fixedIn.reduce((a, b) => (compareRuncVersions(a, b) >= 0 ? a : b));
  // A release line newer than every fixed line already has the fix; an older, unlisted line never got it.
  return version.major > newest.major || (version.major === newest.major && version.minor > newest.minor);
}

/** Warnings for a runc version older than the fixes of known container-escape CVEs. */
export function runcWarnings(versionText: string | null): ReadonlyArray<string> {
  if (versionText === null || versionText.trim() === '') {
    return ['the engine did not report its runc version; cannot check it against CVE-2024-21626 and CVE-2025-31133/52565/52881'];
  }
  const version = parseRuncVersion(versionText);
  if (!version) return [`cannot parse runc version ${JSON.stringify(versionText)}; cannot check it against known container-escape CVEs`];
  const warnings: string[] = [];
  for (const advisory of ADVISORIES) {
    if (isFixed(version, advisory.fixedIn)) continue;
    const fixes = advisory.fixedIn.map((fix) => fix.raw).join(' / ');
    const vendorBuild = /\+/.test(version.raw) ? ' (a distribution build may carry a backported fix: check its advisory)' : '';
    warnings.push(`runc ${version.raw} is older than the fix for ${advisory.cves} (${fixes}): ${advisory.what}${vendorBuild}`);
  }
  return warnings;
}
