/** Times as reviewers read them: relative, with the exact time on hover. */

/** "3 min ago", "in 2 h", "5 d ago". */
export function relativeTime(iso: string, now: Date = new Date()): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return iso;
  const seconds = Math.round((then - now.getTime()) / 1000);
  const abs = Math.abs(seconds);
  const [value, unit] =
    abs < 60
      ? [abs, 's']
      : abs < 3600
        ? [Math.floor(abs / 60), 'min']
        : abs < 86_400
          ? [Math.floor(abs / 3600), 'h']
          : abs < 86_400 * 60
            ? [Math.floor(abs / 86_400), 'd']
            : [Math.floor(abs / (86_400 * 30)), 'mo'];
  if (abs < 5) return 'just now';
  return seconds < 0 ? `${value} ${unit} ago` : `in ${value} ${unit}`;
}

/** An exact local time, to the second. */
export function exactTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { hour12: false });
}

/** A <time> showing relative time with the exact one as its title. */
export function TimeAgo({ iso, testId }: { readonly iso: string; readonly testId?: string }) {
  return (
    <time dateTime={iso} title={exactTime(iso)} data-testid={testId}>
      {relativeTime(iso)}
    </time>
  );
}

/** A short oid. */
export function shortOid(oid: string | null): string {
  return oid === null ? '—' : oid.slice(0, 10);
}

/** Bytes as KiB/MiB. */
export function formatBytes(bytes: number | null): string {
  if (bytes === null) return '—';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** Milliseconds as "850 ms" / "12.3 s". */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
