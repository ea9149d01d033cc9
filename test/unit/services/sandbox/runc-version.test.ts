import { describe, expect, it } from 'vitest';
import { compareRuncVersions, parseRuncVersion, runcWarnings } from '../../../../electron/services/sandbox/runc-version';

function v(text: string) {
  const parsed = parseRuncVersion(text);
  if (!parsed) throw new Error(`unparsable ${text}`);
  return parsed;
}

describe('parseRuncVersion', () => {
  it('reads release, pre-release and distribution versions', () => {
    expect(v('1.1.12')).toMatchObject({ major: 1, minor: 1, patch: 12, prerelease: [] });
    expect(v('v1.4.0-rc.3')).toMatchObject({ major: 1, minor: 4, patch: 0, prerelease: ['rc', 3] });
    expect(v('1.0.0-rc95')).toMatchObject({ major: 1, minor: 0, patch: 0, prerelease: ['rc', 95] });
    expect(v('1.1.5+ds1-1+deb12u1')).toMatchObject({ major: 1, minor: 1, patch: 5, prerelease: [] });
    expect(parseRuncVersion('unknown')).toBeNull();
  });
});

describe('compareRuncVersions', () => {
  it.each([
    ['1.1.11', '1.1.12', -1],
    ['1.1.12', '1.1.12', 0],
    ['1.2.0', '1.1.12', 1],
    ['1.4.0-rc.2', '1.4.0-rc.3', -1],
    ['1.4.0-rc.3', '1.4.0', -1],
    ['1.4.0-rc.10', '1.4.0-rc.9', 1],
    ['1.10.0', '1.9.9', 1],
  ])('%s vs %s', (a, b, sign) => {
    expect(Math.sign(compareRuncVersions(v(a), v(b)))).toBe(sign);
  });
});

describe('runcWarnings', () => {
  const leaky = 'CVE-2024-21626';
  const procfs = 'CVE-2025-31133';
  it.each([
    ['1.0.0-rc95', [leaky, procfs]],
    ['1.1.5+ds1', [leaky, procfs]],
    ['1.1.11', [leaky, procfs]],
    ['1.1.12', [procfs]],
    ['1.1.15', [procfs]],
    ['1.2.0', [procfs]],
    ['1.2.7', [procfs]],
    ['1.2.8', []],
    ['1.3.2', [procfs]],
    ['1.3.3', []],
    ['1.4.0-rc.2', [procfs]],
    ['1.4.0-rc.3', []],
    ['1.4.0', []],
    ['1.5.1', []],
    ['2.0.0', []],
  ])('runc %s warns about %j', (version, cves) => {
    const warnings = runcWarnings(version);
    expect(warnings).toHaveLength(cves.length);
    cves.forEach((cve, i) => expect(warnings[i]).toContain(cve));
  });

  it('says a distribution build may have backported the fix', () => {
    expect(runcWarnings('1.1.5+ds1')[0]).toContain('backported');
    expect(runcWarnings('1.1.11')[0]).not.toContain('backported');
  });

  it('warns when the version is missing or unreadable', () => {
    expect(runcWarnings(null)[0]).toContain('did not report');
    expect(runcWarnings('garbage')[0]).toContain('cannot parse');
  });
});
