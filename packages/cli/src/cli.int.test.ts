import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiHarness, createTestPki } from '@edgefleet/api/testing';
import { serveFetch } from '@edgefleet/api/testing/http';
import { enrollDevice } from '@edgefleet/core/identity/enroll';
import { makeTestCsr } from '@edgefleet/core/pki/testing';
import { createTestDatabase } from '@edgefleet/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, runCli } from './test/run-cli.ts';

describe('edgefleet CLI against a running API', () => {
  let t: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: Awaited<ReturnType<typeof serveFetch>>;
  let admin: { email: string; password: string };
  let h: ReturnType<typeof createApiHarness>;
  const configDir = mkdtempSync(join(tmpdir(), 'ef-cli-'));

  const cli = (args: string[], env: Record<string, string> = {}): Promise<CliRun> =>
    runCli(args, {
      env: { ...process.env, EDGEFLEET_CONFIG_DIR: configDir, EDGEFLEET_URL: server.url, EDGEFLEET_TOKEN: '', ...env },
    });

  beforeAll(async () => {
    t = await createTestDatabase('pglite');
    h = createApiHarness(t.db, await createTestPki(t.db));
    admin = await h.makeUser('admin');
    server = await serveFetch((path, init) => h.request(path, init));
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
  });

  it('logs in, stores the token privately, and says who it is', async () => {
    const login = await cli(['login', '--email', admin.email, '--password', admin.password]);
    expect(login.stderr).toBe('');
    expect(login.code).toBe(0);
    expect(statSync(join(configDir, 'config.json')).mode & 0o777).toBe(0o600);
    const who = await cli(['whoami', '--json']);
    expect(who.code).toBe(0);
    expect(JSON.parse(who.stdout)).toMatchObject({ email: admin.email, role: 'admin', kind: 'token' });
  });

  it('creates a token printed once, lists it, and revokes it', async () => {
    const created = await cli(['tokens', 'create', '--name', 'ci-pipeline', '--scope', 'models:publish', '--json']);
    expect(created.code).toBe(0);
    const { token, id } = JSON.parse(created.stdout) as { token: string; id: string };
    expect(token).toMatch(/^eft_/);

    const withToken = await cli(['whoami', '--json'], { EDGEFLEET_TOKEN: token });
    expect(JSON.parse(withToken.stdout).scopes).toEqual(['models:publish']);

    const list = await cli(['tokens', 'list']);
    expect(list.stdout).toContain('ci-pipeline');
    expect(list.stdout).not.toContain(token);

    const revoked = await cli(['tokens', 'revoke', id]);
    expect(revoked.code).toBe(0);
    const refused = await cli(['whoami'], { EDGEFLEET_TOKEN: token });
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/invalid, revoked or expired/);
  });

  it('fails with one line and a non-zero code on a missing scope', async () => {
    const created = await cli(['tokens', 'create', '--name', 'reader', '--scope', 'devices:read', '--json']);
    const { token } = JSON.parse(created.stdout) as { token: string };
    const r = await cli(['tokens', 'list'], { EDGEFLEET_TOKEN: token });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^edgefleet: Missing scope tokens:read\n$/);
  });

  it('rejects a wrong password and unknown scopes clearly', async () => {
    const bad = await cli(['login', '--email', admin.email, '--password', 'wrong-password-1']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/sign-in failed/);
    const scope = await cli(['tokens', 'create', '--name', 'x', '--scope', 'root:all']);
    expect(scope.code).toBe(2);
    expect(scope.stderr).toMatch(/unknown scope "root:all"/);
  });

  it('explains an unreachable server', async () => {
    const r = await cli(['whoami', '--url', 'http://127.0.0.1:9', '--token', 'eft_x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9/);
  });

  const enroll = (token: string, hostname: string, serialNumber?: string) =>
    enrollDevice(
      { db: t.db, pki: h.pki },
      {
        v: 1,
        token,
        csr: makeTestCsr(),
        facts: {
          hostname,
          os: 'linux',
          arch: 'x86_64',
          cpu: { model: 'Xeon', cores: 4 },
          memoryBytes: 8 * 1024 ** 3,
          accelerators: [],
          backends: ['onnxruntime-node'],
          agentVersion: '0.1.0',
          ...(serialNumber ? { serialNumber } : {}),
        },
      },
      { ip: null },
    );

  it('creates an enrollment token printed once, lists and revokes it', async () => {
    const created = await cli([
      'enroll-tokens',
      'create',
      '--group',
      'lab',
      '--tag',
      'site=berlin',
      '--tag',
      'rack=3',
      '--uses',
      '5',
      '--expires',
      '7d',
      '--name',
      'lab rack 3',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^efe_[\w-]{40,}$/);
    expect(created.stderr).toMatch(/not shown again/);

    const list = await cli(['enroll-tokens', 'list']);
    expect(list.stdout).toMatch(/lab rack 3\s+efe_\S+…\s+lab\s+0\/5\s+manual/);
    expect(list.stdout).not.toContain(token);

    const json = JSON.parse((await cli(['enroll-tokens', 'list', '--json'])).stdout) as {
      id: string;
      name: string;
      expiresAt: string;
    }[];
    const row = json.find((r) => r.name === 'lab rack 3');
    expect(Date.parse(row?.expiresAt ?? '') - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
    const revoked = await cli(['enroll-tokens', 'revoke', row?.id ?? '']);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(/Revoked enrollment token "lab rack 3"/);
  });

  it('lists, shows, approves and tags devices', async () => {
    const created = await cli(['enroll-tokens', 'create', '--group', 'cli-fleet', '--json']);
    const { token } = JSON.parse(created.stdout) as { token: string };
    const a = await enroll(token, 'cli-box-a');
    await enroll(token, 'cli-box-b');
    expect(a.status).toBe('pending');

    const list = await cli(['devices', 'list', '--status', 'pending', '--group', 'cli-fleet', '--sort', 'name']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+STATUS/);
    expect(list.stdout.indexOf('cli-box-a')).toBeLessThan(list.stdout.indexOf('cli-box-b'));
    expect(list.stderr).toMatch(/2 of 2 shown/);

    const paged = JSON.parse((await cli(['devices', 'list', '--group', 'cli-fleet', '--limit', '1', '--json'])).stdout);
    expect(paged.devices).toHaveLength(1);
    expect(paged.nextCursor).toEqual(expect.any(String));
    const next = JSON.parse(
      (await cli(['devices', 'list', '--group', 'cli-fleet', '--limit', '1', '--cursor', paged.nextCursor, '--json']))
        .stdout,
    );
    expect(next.devices[0].id).not.toBe(paged.devices[0].id);

    const approved = await cli(['devices', 'approve', a.deviceId]);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toMatch(/Approved cli-box-a .*now accepted/);

    const tagged = await cli(['devices', 'tag', a.deviceId, 'site=lab', 'role=camera', '--group', 'moved']);
    expect(tagged.code, tagged.stderr).toBe(0);
    const removed = await cli(['devices', 'tag', a.deviceId, '--remove', 'role', '--json']);
    expect(JSON.parse(removed.stdout)).toMatchObject({ tags: { site: 'lab' }, group: 'moved' });

    const show = await cli(['devices', 'show', a.deviceId]);
    expect(show.stdout).toMatch(/status\s+accepted/);
    expect(show.stdout).toMatch(/tags\s+site=lab/);
    expect(show.stdout).toMatch(/SERIAL\s+VALID FROM\s+VALID UNTIL\s+STATE/);
    expect(show.stdout).toMatch(/current/);

    const search = JSON.parse((await cli(['devices', 'list', '--tag', 'site=lab', '--json'])).stdout);
    expect(search.devices.map((d: { id: string }) => d.id)).toEqual([a.deviceId]);

    const twice = await cli(['devices', 'approve', a.deviceId]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/^edgefleet: device \S+ is accepted; only pending devices can be changed so\n$/);
  });

  it('pre-authorizes devices from a CSV or JSON file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ef-preauth-'));
    writeFileSync(join(dir, 'batch.csv'), 'serialNumber,hardwareId,group,tags\nCLI-SN-1,,factory,line=1\n');
    writeFileSync(join(dir, 'batch.json'), JSON.stringify([{ hardwareId: 'cli-hw-2', tags: { line: '2' } }]));
    const csv = await cli(['devices', 'preauthorize', join(dir, 'batch.csv')]);
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout).toMatch(/Pre-authorized 1 device/);
    const json = await cli(['devices', 'preauthorize', join(dir, 'batch.json'), '--json']);
    expect(JSON.parse(json.stdout)).toEqual({ added: 1, skipped: 0 });

    writeFileSync(join(dir, 'bad.csv'), 'serialNumber,tags\nCLI-SN-3,broken\n');
    const bad = await cli(['devices', 'preauthorize', join(dir, 'bad.csv')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/bad\.csv/);
    const missing = await cli(['devices', 'preauthorize', join(dir, 'nope.csv')]);
    expect(missing.stderr).toMatch(/^edgefleet: cannot read .*nope\.csv: no such file\n$/);
  });

  it('refuses bad device arguments with a one-line usage error', async () => {
    const cases: [string[], RegExp][] = [
      [['enroll-tokens', 'create', '--group', 'g', '--expires', 'soon'], /not a duration like 30m, 24h or 7d/],
      [['enroll-tokens', 'create', '--group', 'g', '--uses', '0'], /not a whole number/],
      [['enroll-tokens', 'create', '--group', 'g', '--tag', 'novalue'], /not key=value/],
      [['enroll-tokens', 'create'], /required option '--group <group>'/],
      [['devices', 'list', '--status', 'sleeping'], /unknown status "sleeping"/],
      [['devices', 'list', '--sort', 'colour'], /unknown sort "colour"/],
      [['devices', 'tag', 'dev_x'], /nothing to change/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    const unknown = await cli(['devices', 'show', 'dev_missing']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('edgefleet: No device with id dev_missing\n');
  });

  it('has --help for every command', async () => {
    const commands = [
      ['--help'],
      ['login', '--help'],
      ['tokens', 'create', '--help'],
      ...['create', 'list', 'revoke'].map((c) => ['enroll-tokens', c, '--help']),
      ...['list', 'show', 'approve', 'reject', 'revoke', 'decommission', 'tag', 'preauthorize'].map((c) => [
        'devices',
        c,
        '--help',
      ]),
    ];
    for (const args of commands) {
      const r = await cli(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Usage: edgefleet/);
    }
  });
});
