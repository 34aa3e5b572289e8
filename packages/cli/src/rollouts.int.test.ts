import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiHarness, createTestPki } from '@edgefleet/api/testing';
import { serveFetch } from '@edgefleet/api/testing/http';
import { runEngineTick } from '@edgefleet/core/rollouts/engine';
import { applyStateReport } from '@edgefleet/core/rollouts/reports';
import { seedBareDevices, seedPublishedVersion } from '@edgefleet/core/rollouts/testing';
import { createTestDatabase } from '@edgefleet/db/testing';
import { PROTOCOL_VERSION } from '@edgefleet/protocol/device';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, runCli } from './test/run-cli.ts';

describe('edgefleet rollouts and pins against a running API', () => {
  let t: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: Awaited<ReturnType<typeof serveFetch>>;
  let h: ReturnType<typeof createApiHarness>;
  let opToken: string;
  let readToken: string;
  const dir = mkdtempSync(join(tmpdir(), 'ef-rollouts-cli-'));

  const cli = (args: string[], token = opToken): Promise<CliRun> =>
    runCli(args, {
      cwd: dir,
      env: { ...process.env, EDGEFLEET_CONFIG_DIR: dir, EDGEFLEET_URL: server.url, EDGEFLEET_TOKEN: token },
    });
  const tagged = async (count: number, site: string) => {
    const ids = await seedBareDevices(t.db, count);
    await t.db.device.updateMany({ where: { id: { in: ids } }, data: { tags: { site } } });
    return ids;
  };
  /** What agents would report: each notified device finished installing `version`. */
  const reportSucceeded = async (rolloutId: string, version: string) => {
    const rows = await t.db.rolloutDevice.findMany({ where: { rolloutId, state: 'notified' } });
    for (const r of rows) {
      await applyStateReport(t.db, r.deviceId, {
        v: PROTOCOL_VERSION,
        ts: new Date().toISOString(),
        instructionVersion: 1,
        models: [{ model: 'detector', install: { version, step: 'succeeded', attempt: r.attempts } }],
      });
    }
    return rows.length;
  };

  beforeAll(async () => {
    t = await createTestDatabase('pglite');
    h = createApiHarness(t.db, await createTestPki(t.db));
    const op = await h.makeUser('operator');
    opToken = await h.makeToken(op, ['rollouts:read', 'rollouts:write', 'devices:read', 'devices:write']);
    readToken = await h.makeToken(op, ['rollouts:read', 'devices:read']);
    const v1 = await seedPublishedVersion(t.db, { model: 'detector', version: '1.0.0' });
    await seedPublishedVersion(t.db, { model: 'detector', version: '1.1.0', publisher: v1.publisher });
    server = await serveFetch((p, init) => h.request(p, init));
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
  });

  it('creates a rollout (--json), shows its phases with progress, pauses and resumes it', async () => {
    await tagged(4, 'berlin');
    const create = await cli([
      ...['rollouts', 'create', '--model', 'detector', '--version', '1.1.0', '--tag', 'site=berlin'],
      ...['--phases', '1#,50,100', '--soak', '10m', '--max-failure', '10%', '--on-failure', 'rollback', '--json'],
    ]);
    expect(create.stderr).toBe('');
    expect(create.code).toBe(0);
    const created = JSON.parse(create.stdout) as { id: string; deviceCount: number; skipped: number };
    expect(created).toEqual({ id: expect.stringMatching(/^ro_/), deviceCount: 4, skipped: 0 });
    const row = await t.db.rollout.findUniqueOrThrow({ where: { id: created.id } });
    expect(row).toMatchObject({ onFailure: 'rollback', status: 'running' });
    expect(row.strategy).toEqual({
      kind: 'phases',
      phases: [
        { count: 1, soakSeconds: 600 },
        { percent: 50, soakSeconds: 600 },
        { percent: 100, soakSeconds: 600 },
      ],
    });
    expect(row.gates).toMatchObject({ maxFailurePercent: 10 });

    const status = await cli(['rollouts', 'status', created.id], readToken);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`^${created.id}  detector 1\\.1\\.0  running, phase 1/3`));
    expect(status.stdout).toMatch(/0\/4 succeeded, 4 waiting/);
    expect(status.stdout).toMatch(/PHASE\s+SHARE\s+DEVICES\s+PROGRESS\s+STATUS/);
    expect(status.stdout).toMatch(/1\s+.*\s+1\s+\[\.{20}\]\s+0% 0\/1 succeeded/);
    expect(JSON.parse((await cli(['rollouts', 'status', created.id, '--json'], readToken)).stdout)).toMatchObject({
      id: created.id,
      deviceCount: 4,
    });

    const pause = await cli(['rollouts', 'pause', created.id, '--reason', 'lunch']);
    expect(pause.code).toBe(0);
    expect(pause.stdout).toMatch(/Paused .*: now paused/);
    expect((await t.db.rollout.findUniqueOrThrow({ where: { id: created.id } })).statusReason).toBe('lunch');
    const again = await cli(['rollouts', 'pause', created.id]);
    expect(again.code).toBe(1);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    const resume = await cli(['rollouts', 'resume', created.id]);
    expect(resume.code).toBe(0);
    expect(resume.stdout).toMatch(/now running/);
    const readOnly = await cli(['rollouts', 'pause', created.id], readToken);
    expect(readOnly.code).toBe(1);
    expect(readOnly.stderr).toMatch(/rollouts:write/);

    const list = await cli(['rollouts', 'list', '--status', 'running'], readToken);
    expect(list.stdout).toMatch(new RegExp(`${created.id}\\s+detector 1\\.1\\.0\\s+running\\s+1/3`));
  });

  it('refuses an overlapping rollout with one line and a non-zero code', async () => {
    const ids = await tagged(2, 'paris');
    const first = await cli([
      'rollouts',
      'create',
      '--model',
      'detector',
      '--version',
      '1.1.0',
      '--device',
      ids.join(','),
      '--json',
    ]);
    expect(first.code).toBe(0);
    const firstId = (JSON.parse(first.stdout) as { id: string }).id;
    const before = await t.db.rollout.count();
    const overlap = await cli([
      'rollouts',
      'create',
      '--model',
      'detector',
      '--version',
      '1.1.0',
      '--tag',
      'site=paris',
    ]);
    expect(overlap.code).not.toBe(0);
    expect(overlap.stderr.trim().split('\n')).toHaveLength(1);
    expect(overlap.stderr).toContain(firstId);
    expect(await t.db.rollout.count()).toBe(before);
  });

  it.each([
    [
      'no device selection',
      ['--model', 'detector', '--version', '1.1.0'],
      /exactly one of --group, --tag, --device or --all/,
    ],
    [
      'shrinking phases',
      ['--model', 'detector', '--version', '1.1.0', '--all', '--phases', '50,10'],
      /phases must grow/,
    ],
    [
      'an unknown policy',
      ['--model', 'detector', '--version', '1.1.0', '--all', '--on-failure', 'panic'],
      /pause, rollback/,
    ],
  ])('refuses %s as a usage error, creating nothing', async (_name, args, message) => {
    const before = await t.db.rollout.count();
    const r = await cli(['rollouts', 'create', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(await t.db.rollout.count()).toBe(before);
  });

  it('--wait exits 0 once the rollout completed, printing progress', async () => {
    await tagged(3, 'oslo');
    const waiting = cli([
      ...['rollouts', 'create', '--model', 'detector', '--version', '1.1.0', '--tag', 'site=oslo'],
      ...['--wait', '--interval', '1'],
    ]);
    // The engine and the agents, in-process: notify, everyone succeeds, the engine completes it.
    await expect
      .poll(
        () =>
          t.db.rollout.findFirst({
            where: { status: 'running', selector: { equals: { kind: 'tags', tags: { site: 'oslo' } } } },
          }),
        { timeout: 15_000 },
      )
      .toBeTruthy();
    const rollout = await t.db.rollout.findFirstOrThrow({
      where: { selector: { equals: { kind: 'tags', tags: { site: 'oslo' } } } },
    });
    await runEngineTick({ db: t.db });
    expect(await reportSucceeded(rollout.id, '1.1.0')).toBe(3);
    await runEngineTick({ db: t.db });
    expect((await t.db.rollout.findUniqueOrThrow({ where: { id: rollout.id } })).status).toBe('completed');
    const r = await waiting;
    expect(r.stderr).toMatch(/Started rollout ro_\w+: detector 1\.1\.0 to 3 device\(s\)/);
    expect(r.stderr).toMatch(/completed: 3\/3 succeeded/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Rollout ro_\w+ completed: 3\/3 succeeded/);
  });

  it('--wait exits non-zero with the reason when the rollout is aborted', async () => {
    const ids = await tagged(2, 'rome');
    const created = JSON.parse(
      (
        await cli([
          'rollouts',
          'create',
          '--model',
          'detector',
          '--version',
          '1.1.0',
          '--device',
          ids[0] ?? '',
          '--device',
          ids[1] ?? '',
          '--json',
        ])
      ).stdout,
    ) as { id: string };
    const waiting = cli(['rollouts', 'status', created.id, '--wait', '--interval', '1']);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await cli(['rollouts', 'abort', created.id, '--reason', 'bad build'])).code).toBe(0);
    const r = await waiting;
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(`edgefleet: rollout ${created.id} aborted: bad build`);
  });

  it('sets, lists and removes pins', async () => {
    const [id] = await tagged(1, 'lima');
    const set = await cli([
      'pins',
      'set',
      '--model',
      'detector',
      '--version',
      '1.0.0',
      '--device',
      id ?? '',
      '--reason',
      'certified',
    ]);
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/Pinned device .* to detector 1\.0\.0 \(pin_\w+\): holds 1 device\(s\), 1 moved/);
    const list = await cli(['pins', 'list', '--device', id ?? '', '--json'], readToken);
    const pins = JSON.parse(list.stdout) as Array<{ id: string; reason: string }>;
    expect(pins).toEqual([expect.objectContaining({ reason: 'certified' })]);
    const refused = await cli(['pins', 'rm', pins[0]?.id ?? ''], readToken);
    expect(refused.code).toBe(1);
    const rm = await cli(['pins', 'rm', pins[0]?.id ?? '']);
    expect(rm.code).toBe(0);
    expect((await cli(['pins', 'list', '--device', id ?? ''], readToken)).stdout).toMatch(/No pins\./);
    const usage = await cli(['pins', 'set', '--model', 'detector', '--version', '1.0.0']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/exactly one of --device ID or --group NAME/);
  });

  it('documents the flags in --help (every command: rollout-options.test.ts)', async () => {
    const help = await cli(['rollouts', 'create', '--help'], '');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--phases <list>.*5#/s);
    expect(help.stdout).toMatch(/Durations: 90s, 10m, 2h, 1d/);
  });
});
