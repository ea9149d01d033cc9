import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalRecord, GENESIS_HASH, loadCanonicalize, readChainLinks, sha256Hex, type ChainFields } from '../../../../electron/services/audit/chain';
import type { JsonObject } from '../../../../electron/services/audit/events';
import { mulberry32 as prng } from '../../../support/prng';

const base: ChainFields = {
  seq: 7,
  ts: '2025-01-02T03:04:05.678Z',
  actor: 'alice',
  role: 'reviewer',
  action: 'approval.minted',
  subject: 'repo/proposal-1',
  payload: { z: 1, a: [true, null, 1.5], m: { b: 'x', a: 'é' } },
  prevHash: GENESIS_HASH,
};


const NASTY = ['"', '\\', ',"seq":', ',"prevHash":"', '}', '{', '\n', '\u2028', 'é', '😀', '\u0000', '\u001f', ' ', 'seq', '":1,'];

function nastyText(rand: () => number, max: number): string {
  let out = '';
  const n = Math.floor(rand() * max);
  for (let i = 0; i < n; i++) out += NASTY[Math.floor(rand() * NASTY.length)] ?? '';
  return out;
}

describe('canonical records', () => {
  it('is exactly the RFC 8785 text: sorted keys, no whitespace, JCS numbers and strings', async () => {
    const canonicalize = await loadCanonicalize();
    const text = canonicalRecord(canonicalize, base);
    expect(text).toBe(
      '{"action":"approval.minted","actor":"alice","payload":{"a":[true,null,1.5],"m":{"a":"é","b":"x"},"z":1},' +
        `"prevHash":"${GENESIS_HASH}","role":"reviewer","seq":7,"subject":"repo/proposal-1","ts":"2025-01-02T03:04:05.678Z"}`,
    );
  });

  it('hashes the UTF-8 bytes of the record with SHA-256', async () => {
    const canonicalize = await loadCanonicalize();
    const text = canonicalRecord(canonicalize, base);
    expect(sha256Hex(text)).toBe(createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex'));
    expect(sha256Hex(text)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes the hash when any field changes', async () => {
    const canonicalize = await loadCanonicalize();
    const original = sha256Hex(canonicalRecord(canonicalize, base));
    const variants: ChainFields[] = [
      { ...base, seq: 8 },
      { ...base, ts: '2025-01-02T03:04:05.679Z' },
      { ...base, actor: 'bob' },
      { ...base, role: 'lead' },
      { ...base, action: 'approval.revoked' },
      { ...base, subject: 'repo/proposal-2' },
      { ...base, payload: { ...base.payload, z: 2 } },
      { ...base, prevHash: 'f'.repeat(64) },
    ];
    for (const variant of variants) expect(sha256Hex(canonicalRecord(canonicalize, variant))).not.toBe(original);
  });
});

describe('readChainLinks', () => {
  it('finds the top-level seq and prevHash whatever the subject and payload contain', async () => {
    const canonicalize = await loadCanonicalize();
    const rand = prng(42);
    for (let i = 0; i < 500; i++) {
      const prevHash = sha256Hex(String(i));
      const payload: JsonObject = {
        seq: Math.floor(rand() * 1e6),
        prevHash: sha256Hex(`fake${i}`),
        [nastyText(rand, 4)]: nastyText(rand, 8),
        nested: { seq: i + 1, list: [nastyText(rand, 5), { prevHash: 'x' }] },
      };
      const seq = 1 + Math.floor(rand() * 1e9);
      const fields: ChainFields = { ...base, seq, prevHash, subject: nastyText(rand, 10), actor: nastyText(rand, 6) || 'a', payload };
      const record = canonicalRecord(canonicalize, fields);
      const links = readChainLinks(record);
      expect(links, record).not.toBeNull();
      expect(links?.seq).toBe(seq);
      expect(record.slice(links?.prevHashAt, (links?.prevHashAt ?? 0) + 64)).toBe(prevHash);
    }
  });

  it('finds them when the subject is long, so the top-level prevHash is far from the end', async () => {
    const canonicalize = await loadCanonicalize();
    const rand = prng(7);
    for (const length of [80, 100, 120, 200, 1000]) {
      for (let i = 0; i < 40; i++) {
        const prevHash = sha256Hex(`${length}:${i}`);
        // The subject spells out the keys it must not be taken for; the payload holds decoy top-level-looking keys.
        let subject = `,"prevHash":"${sha256Hex('decoy')}","seq":7,`;
        while (subject.length < length) subject += nastyText(rand, 6) || 'x';
        const payload: JsonObject = { prevHash: sha256Hex(`decoy${i}`), seq: 3, tail: { prevHash: 'y'.repeat(64), seq: 4 } };
        const seq = 1 + i;
        const record = canonicalRecord(canonicalize, { ...base, seq, prevHash, subject, payload });
        for (const from of [0, 5]) {
          const text = `${'a'.repeat(from)}${record}`;
          const links = readChainLinks(text, from);
          expect(links, text).not.toBeNull();
          expect(links?.seq).toBe(seq);
          expect(text.slice(links?.prevHashAt, (links?.prevHashAt ?? 0) + 64)).toBe(prevHash);
        }
      }
    }
  });

  it('returns null for text that is not a chain record', () => {
    expect(readChainLinks('')).toBeNull();
    expect(readChainLinks('{"a":1}')).toBeNull();
    expect(readChainLinks(`{"prevHash":"${GENESIS_HASH}","seq":1}`)).toBeNull();
    expect(readChainLinks(`{"x":1,"prevHash":"abc","role":"lead","seq":1,"ts":"t"}`)).toBeNull();
    expect(readChainLinks(`{"x":1,"prevHash":"${GENESIS_HASH}","role":"lead","seq":x,"ts":"t"}`)).toBeNull();
    // A key that only ends in prevHash or seq is not the key.
    expect(readChainLinks(`{"x":1,"xprevHash":"${GENESIS_HASH}","role":"lead","seq":1,"ts":"t"}`)).toBeNull();
    expect(readChainLinks(`{"x":1,"prevHash":"${GENESIS_HASH}","role":"lead","subseq":1,"ts":"t"}`)).toBeNull();
    expect(readChainLinks(`{"x":1,"prevHash":"${GENESIS_HASH}","role":"lead","seq":1,"ts":"t"}`)).toEqual({ seq: 1, prevHashAt: 19 });
  });
});
