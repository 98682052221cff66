import pino, { type Logger } from 'pino';

export type { Logger };

/** Paths pino blanks out wherever they appear in a log line. */
const REDACT = [
  'password',
  '*.password',
  'token',
  '*.token',
  'req.headers.cookie',
  'req.headers.authorization',
  'headers.cookie',
  'headers.authorization',
];

/** The process logger: JSON lines on stdout, secrets redacted. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' }, base: { app: 'folio' } }, destination);
}
