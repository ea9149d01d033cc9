/** A small leveled logger writing to stderr; main's log, never shown to the renderer. */

/** Log sink used by core and the IPC edge. */
export interface Logger {
  info(message: string, detail?: unknown): void;
  warn(message: string, detail?: unknown): void;
  error(message: string, detail?: unknown): void;
}

function format(level: string, message: string, detail: unknown): string {
  const extra =
    detail === undefined ? '' : ` ${detail instanceof Error ? (detail.stack ?? detail.message) : JSON.stringify(detail)}`;
  return `${new Date().toISOString()} ${level} ${message}${extra}\n`;
}

/** A logger to stderr; `quiet` drops info lines (CLI). */
export function createStderrLogger(options: { readonly quiet?: boolean } = {}): Logger {
  return {
    info(message, detail) {
      if (!options.quiet) process.stderr.write(format('info', message, detail));
    },
    warn(message, detail) {
      process.stderr.write(format('warn', message, detail));
    },
    error(message, detail) {
      process.stderr.write(format('error', message, detail));
    },
  };
}
