/** What an import carries: text as UTF-8, or the exact bytes of a file as strict base64. */
import { describe, expect, it } from 'vitest';
import { importedBytes } from '../../../electron/core/review';

describe('importedBytes', () => {
  it('keeps Latin-1 bytes sent as base64 exactly', () => {
    const bytes = Buffer.from('+Caf\xe9 cr\xe8me\n', 'latin1');
    expect(importedBytes(bytes.toString('base64'), 'base64').equals(bytes)).toBe(true);
  });

  it('refuses damaged base64 instead of silently dropping characters', () => {
    expect(() => importedBytes('ZGlmZi*tLWdpdA==', 'base64')).toThrow(/not valid base64/);
    expect(() => importedBytes('ZGlmZg', 'base64')).toThrow(/not valid base64/);
    expect(() => importedBytes('', 'base64')).toThrow(/empty/);
  });

  it('encodes text as UTF-8', () => {
    expect(importedBytes('é', 'utf8')).toEqual(Buffer.from([0xc3, 0xa9]));
  });
});
