import { loadEnv } from '@edgefleet/config/env';
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/** JSON lines on stdout, the same shape as the gateway's (`service: "web"`). */
export function createWebLogger(opts: {
  level: 'debug' | 'info' | 'warn' | 'error';
  destination?: DestinationStream;
}): Logger {
  return pino(
    {
      level: opts.level,
      base: { service: 'web', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Belt and braces: request lines never carry headers, but a stray object must not leak credentials.
      redact: ['*.authorization', '*.cookie', '*.headers.authorization', '*.headers.cookie'],
    },
    opts.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

// One logger per process: Next evaluates server modules once per route bundle.
const g = globalThis as typeof globalThis & { __edgefleetWebLogger?: Logger };
export function webLogger(): Logger {
  g.__edgefleetWebLogger ??= createWebLogger({ level: loadEnv().EDGEFLEET_LOG_LEVEL });
  return g.__edgefleetWebLogger;
}
