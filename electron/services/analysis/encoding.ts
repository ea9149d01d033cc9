/**
 * Turning a file's bytes into the text the analyser reads. UTF-8 (with or without a BOM) unless a
 * Python file declares another encoding in its first two lines (PEP 263, `# -*- coding: latin-1 -*-`),
 * which is then honoured, so such a file is analysed instead of being taken for binary.
 */

const PEP_263 = /^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)/;

/** The encoding a Python source declares (PEP 263), lower-cased, or undefined. */
export function declaredPythonEncoding(bytes: Uint8Array): string | undefined {
  // the declaration must be on line 1 or 2, and both lines are ASCII-compatible by definition
  let end = 0;
  let newlines = 0;
  while (end < bytes.length && end < 1024 && newlines < 2) {
    if (bytes[end] === 0x0a) newlines++;
    end++;
  }
  const head = Buffer.from(bytes.subarray(0, end)).toString('latin1');
  for (const line of head.split(/\r?\n/).slice(0, 2)) {
    const match = PEP_263.exec(line);
    if (match?.[1] !== undefined) return match[1].toLowerCase();
    // PEP 263: the declaration counts on line 2 only if line 1 is a comment or blank
    if (!/^[ \t\f]*(#.*)?$/.test(line)) break;
  }
  return undefined;
}

/** Python's names for encodings where the WHATWG decoder spells them differently. */
const ALIASES: Readonly<Record<string, string>> = {
  latin_1: 'latin1',
  'latin-1': 'latin1',
  iso_8859_1: 'iso-8859-1',
  'iso8859-1': 'iso-8859-1',
  cp1252: 'windows-1252',
  'utf-8-sig': 'utf-8',
  utf8: 'utf-8',
  utf_8: 'utf-8',
  euc_jp: 'euc-jp',
  shift_jis: 'shift_jis',
  cp932: 'shift_jis',
  gb2312: 'gbk',
  ascii: 'utf-8',
  'us-ascii': 'utf-8',
};

/**
 * Decodes a file for analysis: a PEP 263 declaration in a `.py`/`.pyw`/`.pyi` file picks the decoder;
 * anything else (and an encoding this runtime does not know) is read as UTF-8, where invalid bytes
 * become U+FFFD and the analyser calls the file binary.
 */
export function decodeSource(path: string, bytes: Uint8Array): string {
  if (/\.pyw?$|\.pyi$/i.test(path)) {
    const declared = declaredPythonEncoding(bytes);
    if (declared !== undefined) {
      const label = ALIASES[declared] ?? ALIASES[declared.replace(/-/g, '_')] ?? declared;
      try {
        return new TextDecoder(label).decode(bytes);
      } catch {
        // an encoding the runtime does not know: fall through to UTF-8
      }
    }
  }
  return new TextDecoder('utf-8').decode(bytes);
}
