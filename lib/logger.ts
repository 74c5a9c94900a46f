import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level: LevelWithSilent;
  /** Component name, logged as `component` on every line. */
  component: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to read them back. */
  destination?: NodeJS.WritableStream;
  /** Credentials (tokens, passwords, keys) replaced by `[redacted]` wherever they appear in a line. */
  secrets?: readonly string[];
}

/**
 * A token passed in a URL's query (`?access_token=`, as WebSocket clients do); not a value already
 * redacted (`API_AUTH_TOKEN=[redacted, 7 characters]` in a configuration error).
 */
const QUERY_TOKEN = /((?:access_token|token|api_key|password)=)(?!\[redacted)[^&\s"]+/gi;

/** The line with every secret and query token replaced, whatever key or message it hides in. */
export function redactSecrets(line: string, secrets: readonly string[]): string {
  let out = line.replace(QUERY_TOKEN, '$1[redacted]');
  for (const secret of secrets) {
    if (secret.length >= 4 && out.includes(secret)) out = out.split(secret).join('[redacted]');
  }
  return out;
}

/**
 * Structured JSON logs (one object per line) with ISO timestamps. Credentials in well-known keys
 * are redacted wherever they appear one or two levels deep, and the configured secrets and query
 * tokens wherever they appear at all (an error message, a URL, a nested cause).
 */
export function createLogger(options: LoggerOptions): Logger {
  const secrets = options.secrets ?? [];
  return pino(
    {
      level: options.level,
      base: { component: options.component, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'password',
          '*.password',
          '*.*.password',
          'authorization',
          '*.authorization',
          '*.*.authorization',
          'token',
          '*.token',
          'authToken',
          '*.authToken',
          'apiKey',
          '*.apiKey',
        ],
        censor: '[redacted]',
      },
      formatters: { level: (label) => ({ level: label }) },
      hooks: { streamWrite: (line) => redactSecrets(line, secrets) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
