import type { Db } from '@edgefleet/db/client';
import { describe, expect, it } from 'vitest';
import { HealthJobs } from './jobs.ts';

/** A database that is down: every call, at any depth, rejects after `ms`. */
function downDb(ms = 20): { db: Db; calls: () => number } {
  let calls = 0;
  const handler: ProxyHandler<() => void> = {
    get: (_t, prop) => (prop === 'then' ? undefined : new Proxy(() => {}, handler)),
    apply: () => {
      calls += 1;
      return new Promise((_, reject) => setTimeout(() => reject(new Error('connection refused')), ms));
    },
  };
  return { db: new Proxy(() => {}, handler) as unknown as Db, calls: () => calls };
}

describe('HealthJobs', () => {
  it('logs a failing job and never throws into the engine tick; runs each job once per interval', async () => {
    const { db, calls } = downDb();
    const logs: string[] = [];
    const jobs = new HealthJobs({ db, secret: 's'.repeat(40), log: (m) => logs.push(m) });
    expect(() => jobs.onTick()).not.toThrow();
    const started = calls();
    expect(started).toBeGreaterThanOrEqual(5); // every job is due on the first tick
    jobs.onTick(); // all still in flight or not yet due: nothing new starts
    expect(calls()).toBe(started);
    await jobs.idle();
    for (const name of ['webhooks', 'alerts', 'liveness', 'rollups', 'retention']) {
      expect(logs.some((l) => l.startsWith(`health job ${name} failed: `))).toBe(true);
    }
    jobs.onTick(); // within every interval: nothing runs again
    expect(calls()).toBe(started);
    await jobs.close();
  });

  it('starts a job again once its interval has passed', async () => {
    const { db, calls } = downDb(1);
    const jobs = new HealthJobs({
      db,
      log: () => {},
      intervalsMs: { webhooks: 60_000, alerts: 60_000, liveness: 10, rollups: 60_000, retention: 60_000 },
    });
    jobs.onTick();
    await jobs.idle();
    const first = calls();
    await new Promise((r) => setTimeout(r, 20));
    jobs.onTick(); // only liveness is due again
    await jobs.idle();
    expect(calls()).toBe(first + 1);
  });
});
