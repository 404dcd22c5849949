import { appendFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type LogLevel, type LogLine } from './contract/log.ts';

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(scope: string): Logger;
}

/**
 * Field names whose values never reach a log, at any level: secrets by name,
 * and the HTTP headers that carry them (`authorization`, `proxy-authorization`,
 * `cookie`, `set-cookie`, `x-api-key`).
 */
const SECRET_FIELD =
  /pass(word|phrase)?|secret|private|ticket|token|^key$|keyPem|aes|session.?key|credential|authorization|cookie|api.?key/i;
const PEM_BLOCK = /-----BEGIN [A-Z ]+-----[\s\S]*?-----END [A-Z ]+-----/g;
/**
 * The password of `scheme://user:password@host` (an AMQP or proxy URL in an
 * error message). The authority ends at the first '/', '?', '#' or blank; a
 * password may hold an unencoded '@', so the greedy match runs to the last one.
 */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/?#@:]*):[^\s/?#]*@/gi;
/**
 * Nesting that deep is not diagnostic detail: it is replaced whole rather
 * than walked further (a cycle, or a peer's document passed by mistake).
 */
const MAX_DEPTH = 8;

function redactText(text: string): string {
  return text.replace(PEM_BLOCK, '[pem redacted]').replace(URL_PASSWORD, '$1:[redacted]@');
}

export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[nested too deep to log]';
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error) return redactText(value.message);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_FIELD.test(k) ? '[redacted]' : redact(v, depth + 1);
  }
  return out;
}

const MAX_LOG_BYTES = 5 * 1024 * 1024;
const RECENT_LINES = 1000;

/**
 * JSON lines in `<data>/logs/outpost.log`, rotated at 5 MiB (one `.1` kept),
 * with the recent lines in memory for the Logs page.
 */
export class FileLogSink {
  readonly file: string;
  readonly recent: LogLine[] = [];
  readonly #minimum: number;
  readonly #listeners = new Set<(line: LogLine) => void>();

  constructor(logsDir: string | undefined, level: LogLevel = 'info') {
    this.file = logsDir === undefined ? '' : join(logsDir, 'outpost.log');
    if (logsDir !== undefined) mkdirSync(logsDir, { recursive: true, mode: 0o700 });
    this.#minimum = LEVELS[level];
  }

  onLine(listener: (line: LogLine) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  write(line: LogLine): void {
    if (LEVELS[line.level] < this.#minimum) return;
    const safe: LogLine = { ...line, message: redact(line.message) as string };
    if (line.fields !== undefined) safe.fields = redact(line.fields) as Record<string, unknown>;
    this.recent.push(safe);
    if (this.recent.length > RECENT_LINES) this.recent.shift();
    if (this.file !== '') {
      this.#rotateIfLarge();
      appendFileSync(this.file, `${JSON.stringify(safe)}\n`, { mode: 0o600 });
    }
    for (const listener of this.#listeners) listener(safe);
  }

  #rotateIfLarge(): void {
    try {
      if (statSync(this.file).size > MAX_LOG_BYTES) renameSync(this.file, `${this.file}.1`);
    } catch {
      // no file yet
    }
  }
}

export function createLogger(sink: FileLogSink, scope = 'agent'): Logger {
  const at =
    (level: LogLevel) =>
    (message: string, fields?: Record<string, unknown>): void => {
      const line: LogLine = { time: new Date().toISOString(), level, scope, message };
      if (fields !== undefined) line.fields = fields;
      sink.write(line);
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (child) => createLogger(sink, `${scope}.${child}`),
  };
}
