/**
 * The container's output: splitting the engine's multiplexed attach stream, and capping each stream.
 *
 * Pure (Buffers in, strings out). The cap keeps the first `capBytes` of a stream and counts the rest,
 * so an endless writer costs bounded memory however long it runs.
 */
import { StringDecoder } from 'node:string_decoder';

/** Which output stream a chunk came from. */
export type OutputStream = 'stdout' | 'stderr';

/** Size of the engine's stream frame header: [type, 0, 0, 0, size uint32 big-endian]. */
const HEADER_BYTES = 8;

/**
 * Splits the Docker attach stream (non-TTY) into stdout and stderr payloads.
 *
 * Engine API "Attach to a container / Stream format": each frame is an 8-byte header (stream type
 * 1 = stdout, 2 = stderr) followed by that many bytes. Frames may arrive split across chunks.
 */
export function createDemuxer(onPayload: (stream: OutputStream, payload: Buffer) => void): {
  push(chunk: Buffer): void;
  /** Bytes held waiting for the rest of a frame (0 when the stream ended cleanly). */
  pending(): number;
} {
  let buffered: Buffer = Buffer.alloc(0);
  return {
    push(chunk: Buffer): void {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      let offset = 0;
      while (buffered.length - offset >= HEADER_BYTES) {
        const type = buffered[offset];
        const size = buffered.readUInt32BE(offset + 4);
        if (buffered.length - offset - HEADER_BYTES < size) break;
        const payload = buffered.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + size);
        offset += HEADER_BYTES + size;
        // Type 0 is stdin echo, never requested; 3 is a systemerr frame, reported as stderr.
        if (type === 1) onPayload('stdout', payload);
        else if (type === 2 || type === 3) onPayload('stderr', payload);
      }
      buffered = offset === 0 ? buffered : Buffer.from(buffered.subarray(offset));
    },
    pending(): number {
      return buffered.length;
    },
  };
}

/** Formats a byte count for messages: "1 MiB", "64 KiB", "100 bytes". */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/** The marker appended to a stream's text when the cap cut it. */
export function truncationMarker(stream: OutputStream, capBytes: number, droppedBytes: number | null): string {
  const dropped = droppedBytes === null ? 'further output dropped' : `${droppedBytes} more bytes dropped`;
  return `\n[gatehouse: ${stream} capped at ${formatBytes(capBytes)}; ${dropped}]\n`;
}

/** What a capped stream kept. */
export interface CappedOutput {
  /** The kept bytes as UTF-8 (an invalid or cut sequence becomes U+FFFD), plus the marker when truncated. */
  readonly text: string;
  readonly truncated: boolean;
  readonly keptBytes: number;
  readonly droppedBytes: number;
}

/**
 * Keeps the first `capBytes` bytes of one stream and counts the rest.
 *
 * `push` returns the text to stream live (decoded without splitting a UTF-8 sequence), and the marker
 * once, when the cap is first hit; nothing after that.
 */
export function createOutputCap(
  stream: OutputStream,
  capBytes: number,
): {
  push(payload: Buffer): string;
  /** Live text still held by the decoder (an incomplete UTF-8 sequence at the very end). */
  flush(): string;
  result(): CappedOutput;
} {
  if (!Number.isSafeInteger(capBytes) || capBytes <= 0) throw new RangeError('capBytes must be a positive integer');
  const kept: Buffer[] = [];
  const decoder = new StringDecoder('utf8');
  let keptBytes = 0;
  let droppedBytes = 0;
  let truncated = false;
  return {
    push(payload: Buffer): string {
      if (truncated) {
        droppedBytes += payload.length;
        return '';
      }
      const room = capBytes - keptBytes;
      if (payload.length <= room) {
        kept.push(payload);
        keptBytes += payload.length;
        return decoder.write(payload);
      }
      const head = payload.subarray(0, room);
      kept.push(head);
      keptBytes += head.length;
      droppedBytes += payload.length - head.length;
      truncated = true;
      return decoder.write(head) + decoder.end() + truncationMarker(stream, capBytes, null);
    },
    flush(): string {
      return truncated ? '' : decoder.end();
    },
    result(): CappedOutput {
      const body = Buffer.concat(kept, keptBytes).toString('utf8');
      return {
        text: truncated ? body + truncationMarker(stream, capBytes, droppedBytes) : body,
        truncated,
        keptBytes,
        droppedBytes,
      };
    },
  };
}
