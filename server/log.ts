/**
 * A small leveled logger writing one line per event. It never receives tokens, CSRs,
 * keys or passwords: callers pass identifiers (serials, token id prefixes) only, and
 * `redact` masks anything that looks like a secret in free text as a second line of
 * defence.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

const SECRET_PATTERNS: RegExp[] = [
  /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, // JWTs
  /ZXlK[A-Za-z0-9+/=]{40,}\.[A-Za-z0-9+/=]{40,}/g, // base64(JWT).base64(PEM) tokens
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
];

export function redact(text: string): string {
  let out = text;
  for (const re of SECRET_PATTERNS) out = out.replace(re, '[redacted]');
  return out;
}

export interface Logger {
  level: LogLevel;
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  enabled(level: LogLevel): boolean;
}

function format(level: LogLevel, msg: string, fields?: Record<string, unknown>): string {
  let line = `${new Date().toISOString()} ${level.padEnd(5)} ${msg}`;
  if (fields) {
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined) continue;
      const s = typeof v === 'string' ? v : v instanceof Error ? v.message : JSON.stringify(v);
      line += ` ${k}=${/\s/.test(s) ? JSON.stringify(s) : s}`;
    }
  }
  return `${redact(line)}\n`;
}

export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const logger: Logger = {
    level,
    enabled: (l) => ORDER[l] >= ORDER[logger.level],
    debug: (m, f) => logger.enabled('debug') && write(format('debug', m, f)),
    info: (m, f) => logger.enabled('info') && write(format('info', m, f)),
    warn: (m, f) => logger.enabled('warn') && write(format('warn', m, f)),
    error: (m, f) => logger.enabled('error') && write(format('error', m, f)),
  } as Logger;
  return logger;
}
