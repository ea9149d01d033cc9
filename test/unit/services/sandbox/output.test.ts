import { describe, expect, it } from 'vitest';
import { createDemuxer, createOutputCap, formatBytes, type OutputStream } from '../../../../electron/services/sandbox/output';

function frame(type: number, payload: string | Buffer): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

describe('createDemuxer', () => {
  it('splits frames however the bytes are chunked', () => {
    const wire = Buffer.concat([frame(1, 'out one\n'), frame(2, 'err\n'), frame(1, ''), frame(1, 'out two\n'), frame(3, 'system\n')]);
    for (const chunkSize of [1, 3, 7, 8, 9, wire.length]) {
      const seen: Array<[OutputStream, string]> = [];
      const demuxer = createDemuxer((stream, payload) => seen.push([stream, payload.toString()]));
      for (let i = 0; i < wire.length; i += chunkSize) demuxer.push(wire.subarray(i, i + chunkSize));
      expect(seen.filter(([, text]) => text !== '')).toEqual([
        ['stdout', 'out one\n'],
        ['stderr', 'err\n'],
        ['stdout', 'out two\n'],
        ['stderr', 'system\n'],
      ]);
      expect(demuxer.pending()).toBe(0);
    }
  });

  it('holds an incomplete frame', () => {
    const demuxer = createDemuxer(() => undefined);
    demuxer.push(frame(1, 'abcdef').subarray(0, 10));
    expect(demuxer.pending()).toBe(10);
  });
});

describe('createOutputCap', () => {
  it('passes everything under the cap through', () => {
    const cap = createOutputCap('stdout', 100);
    expect(cap.push(Buffer.from('hello '))).toBe('hello ');
    expect(cap.push(Buffer.from('world'))).toBe('world');
    expect(cap.result()).toEqual({ text: 'hello world', truncated: false, keptBytes: 11, droppedBytes: 0 });
  });

  it('keeps exactly the cap, marks the cut once, and counts what it dropped', () => {
    const cap = createOutputCap('stderr', 10);
    expect(cap.push(Buffer.from('0123456'))).toBe('0123456');
    expect(cap.push(Buffer.from('789abc'))).toBe('789\n[gatehouse: stderr capped at 10 bytes; further output dropped]\n');
    expect(cap.push(Buffer.alloc(1000, 120))).toBe('');
    const result = cap.result();
    expect(result.truncated).toBe(true);
    expect(result.keptBytes).toBe(10);
    expect(result.droppedBytes).toBe(1003);
    expect(result.text).toBe('0123456789\n[gatehouse: stderr capped at 10 bytes; 1003 more bytes dropped]\n');
  });

  it('does not truncate output that ends exactly at the cap', () => {
    const cap = createOutputCap('stdout', 4);
    cap.push(Buffer.from('abcd'));
    expect(cap.result().truncated).toBe(false);
  });

  it('never splits a UTF-8 character in live output', () => {
    const cap = createOutputCap('stdout', 100);
    const euro = Buffer.from('€');
    expect(cap.push(euro.subarray(0, 1))).toBe('');
    expect(cap.push(euro.subarray(1))).toBe('€');
    expect(cap.result().text).toBe('€');
  });

  it('replaces a character the cap cut in half', () => {
    const cap = createOutputCap('stdout', 2);
    cap.push(Buffer.from('a€'));
    expect(cap.result().text.startsWith('a\uFFFD')).toBe(true);
  });

  it('refuses a non-positive cap', () => {
    expect(() => createOutputCap('stdout', 0)).toThrow(RangeError);
  });
});

describe('formatBytes', () => {
  it.each([
    [1024 * 1024, '1 MiB'],
    [64 * 1024, '64 KiB'],
    [1536 * 1024, '1.5 MiB'],
    [100, '100 bytes'],
  ])('%d -> %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
