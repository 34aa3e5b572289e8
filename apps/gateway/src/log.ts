import { type DestinationStream, type Logger, pino } from 'pino';
import type { DeviceRequestRecord } from './http/observe.ts';

export type { Logger } from 'pino';

/**
 * The gateway's logger: one JSON object per line on stdout (level as a word, ISO time,
 * `service: "gateway"`), for whatever collects the container's output.
 */
export function createGatewayLogger(opts: {
  level: 'debug' | 'info' | 'warn' | 'error';
  destination?: DestinationStream;
}): Logger {
  return pino(
    {
      level: opts.level,
      base: { service: 'gateway', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    opts.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

// The components' messages carry no level; these words mark the ones an operator filtering on
// warn must still see (failed ticks, lost lock connections, refused writes).
const TROUBLE = /\b(fail(ed|s|ure)?|error|lost|unavailable|refused|dropp(ed|ing))\b/i;

/**
 * The `(message) => void` the gateway's components take, backed by a child logger, so they stay
 * free of a logging library.
 */
export function logFunction(logger: Logger): (message: string) => void {
  return (message) => {
    if (TROUBLE.test(message)) logger.warn(message);
    else logger.info(message);
  };
}

/** One line per device HTTPS request (an access log); server errors at level error. */
export function logDeviceRequest(logger: Logger): (r: DeviceRequestRecord) => void {
  return (r) => {
    const line = {
      requestId: r.requestId,
      method: r.method,
      route: r.route,
      path: r.path,
      status: r.status,
      durationMs: Math.round(r.durationMs * 10) / 10,
      ...(r.deviceId ? { deviceId: r.deviceId } : {}),
    };
    if (r.status >= 500) logger.error(line, 'device request');
    else logger.info(line, 'device request');
  };
}
