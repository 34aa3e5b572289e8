import { describe, expect, it } from 'vitest';
import { createGatewayLogger, logDeviceRequest, logFunction } from './log.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = createGatewayLogger({
    level: 'info',
    destination: { write: (s: string) => void lines.push(JSON.parse(s)) },
  });
  return { lines, logger };
}

describe('gateway logs', () => {
  it("writes the components' messages as JSON lines, troubles at warn", () => {
    const { lines, logger } = capture();
    const log = logFunction(logger.child({ component: 'core' }));
    log('rollout engine: this gateway leads');
    log('rollout engine tick failed: connection refused');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'info',
        service: 'gateway',
        component: 'core',
        msg: 'rollout engine: this gateway leads',
      }),
      expect.objectContaining({ level: 'warn', msg: 'rollout engine tick failed: connection refused' }),
    ]);
    expect(new Date(String(lines[0]?.time)).toISOString()).toBe(lines[0]?.time);
  });

  it('drops lines below the configured level', () => {
    const lines: unknown[] = [];
    const logger = createGatewayLogger({ level: 'warn', destination: { write: (s: string) => void lines.push(s) } });
    logFunction(logger)('device connected');
    expect(lines).toEqual([]);
  });

  it('logs a device request with its id, and a server error at level error', () => {
    const { lines, logger } = capture();
    const record = {
      requestId: 'r-1',
      method: 'GET',
      route: 'tuf' as const,
      path: '/v1/tuf/x.json',
      durationMs: 3.14,
    };
    logDeviceRequest(logger)({ ...record, status: 200, deviceId: 'dev_1' });
    logDeviceRequest(logger)({ ...record, status: 503, deviceId: null });
    expect(lines[0]).toMatchObject({
      level: 'info',
      msg: 'device request',
      requestId: 'r-1',
      status: 200,
      deviceId: 'dev_1',
      durationMs: 3.1,
    });
    expect(lines[1]).toMatchObject({ level: 'error', status: 503 });
    expect(lines[1]).not.toHaveProperty('deviceId');
  });
});
