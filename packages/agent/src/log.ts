/**
 * One-line log messages on stderr. Messages are written by the agent's own
 * code, never echo request contents verbatim beyond a short quote, and never
 * carry the token (see docs/security.md).
 */
export interface Logger {
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}

export function createLogger(write: (text: string) => void = (t) => process.stderr.write(t), quiet = false): Logger {
  const emit = (level: string, line: string): void => {
    write(`socktop_agent: ${level}${line}\n`);
  };
  return {
    info: (line) => {
      if (!quiet) emit("", line);
    },
    warn: (line) => emit("warning: ", line),
    error: (line) => emit("error: ", line),
  };
}

/** A logger that drops everything (tests, embedding). */
export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };
