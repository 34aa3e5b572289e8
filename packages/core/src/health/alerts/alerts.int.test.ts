import type { Db } from '@edgefleet/db/client';
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from '@edgefleet/db/testing';
import type { TAlertRuleInput } from '@edgefleet/protocol/health';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isDomainError } from '../../errors.ts';
import { testAdmin } from '../../registry/testing.ts';
import { pauseForGate, pauseRollout, resumeRollout } from '../../rollouts/actions.ts';
import { seedFleet, TestClock } from '../../rollouts/engine-testing.ts';
import { createRollout } from '../../rollouts/plan.ts';
import { seedPublishedVersion } from '../../rollouts/testing.ts';
import { series, writeSamples } from '../jobs-testing.ts';
import { evaluateAlerts } from './evaluate.ts';
import { acknowledgeAlert, listAlerts } from './lifecycle.ts';
import { createRule, deleteRule, listRules, setRuleEnabled, updateRule } from './rules.ts';

describe.each(testDatabaseKinds())('alerts on %s', (kind) => {
  let t: TestDatabase;
  let db: Db;
  const clock = new TestClock('2030-01-07T12:00:00.000Z');
  const deps = () => ({ db, now: clock.now });
  const evaluate = () => evaluateAlerts({ db, now: clock.now, publicUrl: 'http://fleet.test' });

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    db = t.db;
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(() => {
    clock.set('2030-01-07T12:00:00.000Z');
  });

  const rule = (devices: string[], input: Record<string, unknown>) =>
    createRule(deps(), testAdmin, {
      name: `rule ${Math.random()}`,
      selector: { kind: 'devices', deviceIds: devices },
      ...input,
    } as TAlertRuleInput);
  const alertsOf = async (ruleId: string) =>
    db.alert.findMany({ where: { ruleId }, orderBy: [{ firedAt: 'asc' }, { id: 'asc' }] });
  const open = async (ruleId: string) =>
    (await alertsOf(ruleId)).filter((a) => a.state !== 'resolved').map((a) => a.subjectId);

  it('metric gauge: fires when every sample of the whole window crosses, dedupes, acks, resolves, fires anew', async () => {
    const [hot, cool, brief] = (await seedFleet(db, 3)) as [string, string, string];
    const r = await rule([hot, cool, brief], {
      kind: 'metric',
      metric: 'cpu_percent',
      operator: 'gt',
      threshold: 90,
      windowSeconds: 60,
      severity: 'critical',
    });
    const now = clock.now();
    await writeSamples(
      db,
      hot,
      series(now, 7, 10, () => ({ cpu: 95 })),
    );
    // One sample under the threshold inside the window: not "for 60 s".
    await writeSamples(
      db,
      cool,
      series(now, 7, 10, (i) => ({ cpu: i === 3 ? 80 : 99 })),
    );
    // Only the last 20 s reported: too short to say "for 60 s".
    await writeSamples(
      db,
      brief,
      series(now, 3, 10, () => ({ cpu: 99 })),
    );

    expect((await evaluate()).fired).toBeGreaterThanOrEqual(1);
    expect(await open(r.id)).toEqual([hot]);
    const [alert] = await alertsOf(r.id);
    expect(alert).toMatchObject({ state: 'firing', severity: 'critical', deviceId: hot, value: 95 });
    expect(alert?.openKey).toBe(`${r.id}:device:${hot}`);
    expect(alert?.summary).toContain('CPU > 90 % for 1 min');

    // Dedupe: evaluating again (and again) keeps one alert; lastTrueAt is refreshed once a minute.
    clock.advance(5);
    await evaluate();
    await evaluate();
    const again = await alertsOf(r.id);
    expect(again).toHaveLength(1);
    expect(again[0]?.lastTrueAt.getTime()).toBe(alert?.lastTrueAt.getTime());
    await writeSamples(
      db,
      hot,
      series(new Date(now.getTime() + 60_000), 7, 10, () => ({ cpu: 96 }), 300),
    );
    clock.advance(60);
    await evaluate();
    expect((await alertsOf(r.id))[0]).toMatchObject({ lastTrueAt: clock.now(), value: 96 });

    // Ack: operator, audited, still open.
    const acked = await acknowledgeAlert(deps(), testAdmin, alert?.id as string);
    expect(acked).toMatchObject({ state: 'acknowledged', acknowledgedBy: testAdmin.email });
    await expect(acknowledgeAlert(deps(), testAdmin, alert?.id as string)).rejects.toMatchObject({ code: 'CONFLICT' });
    const audit = await db.auditEvent.findMany({ where: { action: 'alert.acknowledge', targetId: alert?.id } });
    expect(audit.map((a) => a.outcome).sort()).toEqual(['failure', 'success']);
    await evaluate();
    expect((await alertsOf(r.id))[0]?.state).toBe('acknowledged');

    // The CPU drops: once the window holds a low sample, the alert resolves (from acknowledged).
    clock.advance(10);
    await writeSamples(db, hot, [{ seq: 100, ts: clock.now(), cpu: 20 }]);
    await evaluate();
    const [resolved] = await alertsOf(r.id);
    expect(resolved).toMatchObject({ state: 'resolved', openKey: null });
    expect(resolved?.resolvedAt?.getTime()).toBe(clock.now().getTime());

    // Device events for both transitions.
    const events = await db.deviceEvent.findMany({ where: { deviceId: hot, source: 'alert' }, orderBy: { ts: 'asc' } });
    expect(events.map((e) => e.kind)).toEqual(['alert_firing', 'alert_resolved']);
    expect(events[0]?.severity).toBe('error');

    // Hot again for a full window: a new alert, the old one stays resolved.
    clock.advance(120);
    await writeSamples(
      db,
      hot,
      series(clock.now(), 7, 10, () => ({ cpu: 97 }), 200),
    );
    await evaluate();
    const history = await alertsOf(r.id);
    expect(history.map((a) => a.state)).toEqual(['resolved', 'firing']);
  });

  it('metric lt and memory: every sample below the threshold', async () => {
    const [low, ok] = (await seedFleet(db, 2)) as [string, string];
    const r = await rule([low, ok], {
      kind: 'metric',
      metric: 'memory_percent',
      operator: 'lt',
      threshold: 5,
      windowSeconds: 30,
    });
    await writeSamples(
      db,
      low,
      series(clock.now(), 4, 10, () => ({ memoryPercent: 2 })),
    );
    await writeSamples(
      db,
      ok,
      series(clock.now(), 4, 10, () => ({ memoryPercent: 50 })),
    );
    await evaluate();
    expect(await open(r.id)).toEqual([low]);
  });

  it('error rate: errors / requests of the window, in percent', async () => {
    const [bad, good, idle] = (await seedFleet(db, 3)) as [string, string, string];
    const r = await rule([bad, good, idle], {
      kind: 'metric',
      metric: 'error_rate',
      threshold: 2,
      windowSeconds: 60,
    });
    await writeSamples(
      db,
      bad,
      series(clock.now(), 3, 10, () => ({ inference: { requests: 100, errors: 5 } })),
    );
    await writeSamples(
      db,
      good,
      series(clock.now(), 3, 10, () => ({ inference: { requests: 100, errors: 1 } })),
    );
    await writeSamples(
      db,
      idle,
      series(clock.now(), 3, 10, () => ({ inference: { requests: 0, errors: 0 } })),
    );
    await evaluate();
    expect(await open(r.id)).toEqual([bad]);
    expect((await alertsOf(r.id))[0]?.value).toBeCloseTo(5);

    // Errors stop; once the bad samples leave the window the alert resolves.
    clock.advance(70);
    await writeSamples(db, bad, [{ seq: 50, ts: clock.now(), inference: { requests: 100, errors: 0 } }]);
    await evaluate();
    expect(await open(r.id)).toEqual([]);
  });

  it('latency p95 from the merged histograms of the window', async () => {
    const [slow, fast] = (await seedFleet(db, 2)) as [string, string];
    const r = await rule([slow, fast], {
      kind: 'metric',
      metric: 'latency_p95_ms',
      threshold: 100,
      windowSeconds: 60,
    });
    // slow: 2 × (45 at 5 ms, 5 at 250 ms) → 10 % above 100 ms → p95 = 250.
    await writeSamples(
      db,
      slow,
      series(clock.now(), 2, 10, () => ({ inference: { requests: 50, errors: 0, latency: { 5: 45, 250: 5 } } })),
    );
    // fast: 2 × (49 at 5 ms, 1 at 250 ms) → 2 % above → p95 = 5.
    await writeSamples(
      db,
      fast,
      series(clock.now(), 2, 10, () => ({ inference: { requests: 50, errors: 0, latency: { 5: 49, 250: 1 } } })),
    );
    await evaluate();
    expect(await open(r.id)).toEqual([slow]);
    expect((await alertsOf(r.id))[0]?.value).toBe(250);
  });

  it('device offline: offline longer than the window; resolves when it comes back', async () => {
    const [gone, blip, never] = (await seedFleet(db, 3, { online: false })) as [string, string, string];
    const now = clock.now().getTime();
    await db.device.update({ where: { id: gone }, data: { lastSeenAt: new Date(now - 11 * 60_000) } });
    await db.device.update({ where: { id: blip }, data: { lastSeenAt: new Date(now - 2 * 60_000) } });
    await db.device.update({ where: { id: never }, data: { lastSeenAt: null } });
    const r = await rule([gone, blip, never], { kind: 'device_offline', windowSeconds: 600 });
    await evaluate();
    expect(await open(r.id)).toEqual([gone]);
    expect((await alertsOf(r.id))[0]?.summary).toContain('offline since');
    await db.device.update({ where: { id: gone }, data: { online: true, lastSeenAt: clock.now() } });
    await evaluate();
    expect(await open(r.id)).toEqual([]);
  });

  it('certificate expiry: the current certificate expires within the window; a renewal resolves it', async () => {
    const [expiring, fine] = (await seedFleet(db, 2)) as [string, string];
    const day = 86_400_000;
    const now = clock.now().getTime();
    const cert = (serial: string, deviceId: string, days: number) =>
      db.deviceCertificate.create({
        data: {
          serial,
          deviceId,
          pem: 'x',
          notBefore: new Date(now - 300 * day),
          notAfter: new Date(now + days * day),
        },
      });
    await cert(`aa${expiring}`, expiring, 10);
    await cert(`bb${fine}`, fine, 200);
    // A revoked certificate about to expire does not count.
    await db.deviceCertificate.create({
      data: {
        serial: `cc${fine}`,
        deviceId: fine,
        pem: 'x',
        notBefore: new Date(now - day),
        notAfter: new Date(now + day),
        revokedAt: new Date(now),
      },
    });
    const r = await rule([expiring, fine], { kind: 'certificate_expiry', windowSeconds: 14 * 86_400 });
    await evaluate();
    expect(await open(r.id)).toEqual([expiring]);
    expect((await alertsOf(r.id))[0]?.value).toBeCloseTo(10);
    await cert(`dd${expiring}`, expiring, 365);
    await evaluate();
    expect(await open(r.id)).toEqual([]);
  });

  it('rollout gate: fires when a gate pauses a rollout, not for an operator pause, resolves on resume', async () => {
    const v = await seedPublishedVersion(db, { model: 'gate-model', version: '1.0.0' });
    expect(v.versionId).toBeTruthy();
    const devices = await seedFleet(db, 2);
    const { id } = await createRollout(deps(), testAdmin, {
      model: 'gate-model',
      version: '1.0.0',
      selector: { kind: 'devices', deviceIds: devices },
    });
    const gateRule = 'rule_builtin_rollout_gate';
    await evaluate();
    expect(await open(gateRule)).not.toContain(id);
    await pauseForGate(db, id, { ok: false, gate: 'failure_rate', reason: '2 of 2 devices failed' }, clock.now());
    await evaluate();
    expect(await open(gateRule)).toContain(id);
    const alert = (await alertsOf(gateRule)).find((a) => a.subjectId === id);
    expect(alert).toMatchObject({ subjectType: 'rollout', deviceId: null, severity: 'critical' });
    expect(alert?.summary).toContain('gate-model@1.0.0 paused: failure_rate: 2 of 2 devices failed');
    clock.advance(60);
    await resumeRollout(deps(), testAdmin, id);
    await evaluate();
    expect(await open(gateRule)).not.toContain(id);
    // An operator's pause, even one whose reason starts like a gate's, is not a tripped gate.
    clock.advance(60);
    await pauseRollout(deps(), testAdmin, id, 'gate review by hand');
    await evaluate();
    expect(await open(gateRule)).not.toContain(id);
  });

  it('selectors: tags and groups pick the watched devices', async () => {
    const tagged = (await seedFleet(db, 1, { tags: { site: 'alerts-north' }, online: false })) as [string];
    const other = (await seedFleet(db, 1, { tags: { site: 'alerts-south' }, online: false })) as [string];
    const old = new Date(clock.now().getTime() - 3600_000);
    await db.device.updateMany({ where: { id: { in: [...tagged, ...other] } }, data: { lastSeenAt: old } });
    const r = await createRule(deps(), testAdmin, {
      kind: 'device_offline',
      name: 'north offline',
      selector: { kind: 'tags', tags: { site: 'alerts-north' } },
      windowSeconds: 600,
    });
    await evaluate();
    expect(await open(r.id)).toEqual(tagged);
    // Unknown groups are refused when the rule is written.
    await expect(
      createRule(deps(), testAdmin, {
        kind: 'device_offline',
        name: 'x',
        selector: { kind: 'group', group: 'no-such-group' },
      }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('disabling a rule resolves its open alerts; rules CRUD is validated and audited', async () => {
    const [dev] = (await seedFleet(db, 1, { online: false })) as [string];
    await db.device.update({ where: { id: dev }, data: { lastSeenAt: new Date(clock.now().getTime() - 3600_000) } });
    const r = await rule([dev], { kind: 'device_offline', windowSeconds: 600 });
    await evaluate();
    expect(await open(r.id)).toEqual([dev]);
    await setRuleEnabled(deps(), testAdmin, r.id, false);
    await evaluate();
    expect(await open(r.id)).toEqual([]);

    const updated = await updateRule(deps(), testAdmin, r.id, {
      kind: 'device_offline',
      name: 'renamed',
      windowSeconds: 7200,
      selector: { kind: 'devices', deviceIds: [dev] },
    });
    expect(updated).toMatchObject({ name: 'renamed', windowSeconds: 7200, enabled: true });
    await evaluate();
    expect(await open(r.id)).toEqual([]); // an hour offline is under the new 2 h window

    const bad = await createRule(deps(), testAdmin, {
      kind: 'metric',
      name: 'no threshold',
      metric: 'cpu_percent',
    } as unknown as TAlertRuleInput).catch((e: unknown) => e);
    expect(isDomainError(bad) && bad.code).toBe('INVALID');

    const rules = await listRules(db);
    const builtIns = rules.filter((x) => x.builtIn).map((x) => x.kind);
    expect(builtIns.sort()).toEqual(['certificate_expiry', 'device_offline', 'rollout_gate']);
    await expect(deleteRule(deps(), testAdmin, 'rule_builtin_device_offline')).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await deleteRule(deps(), testAdmin, r.id);
    expect(await db.alertRule.findUnique({ where: { id: r.id } })).toBeNull();

    const actions = await db.auditEvent.findMany({
      where: { action: { startsWith: 'alert_rule.' } },
      select: { action: true, outcome: true },
    });
    const seen = new Set(actions.map((a) => `${a.action}:${a.outcome}`));
    for (const a of [
      'alert_rule.create:success',
      'alert_rule.create:failure',
      'alert_rule.update:success',
      'alert_rule.disable:success',
      'alert_rule.delete:success',
      'alert_rule.delete:failure',
    ]) {
      expect(seen).toContain(a);
    }
  });

  it('lists alerts by state and severity, newest first, paginated', async () => {
    const devices = await seedFleet(db, 3, { online: false });
    await db.device.updateMany({
      where: { id: { in: devices } },
      data: { lastSeenAt: new Date(clock.now().getTime() - 3600_000) },
    });
    const r = await rule(devices, { kind: 'device_offline', windowSeconds: 600, severity: 'info' });
    await evaluate();
    const first = await listAlerts(db, { ruleId: r.id, state: 'open', limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.items[0]?.subjectName).toBeTruthy();
    const second = await listAlerts(db, { ruleId: r.id, state: 'open', limit: 2, cursor: first.nextCursor });
    expect(second.items).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
    expect((await listAlerts(db, { ruleId: r.id, severity: 'critical' })).items).toHaveLength(0);
    expect((await listAlerts(db, { ruleId: r.id, state: 'resolved' })).items).toHaveLength(0);
  });
});
