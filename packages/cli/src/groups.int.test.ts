import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApiHarness, createTestPki } from '@edgefleet/api/testing';
import { serveFetch } from '@edgefleet/api/testing/http';
import { createTestDatabase } from '@edgefleet/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../bin/edgefleet.js', import.meta.url));

describe('edgefleet groups', () => {
  let t: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: Awaited<ReturnType<typeof serveFetch>>;
  let token: string;
  let viewerToken: string;

  const cli = (args: string[], as = token): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args], {
        env: {
          ...process.env,
          EDGEFLEET_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'ef-cli-groups-')),
          EDGEFLEET_URL: server.url,
          EDGEFLEET_TOKEN: as,
        },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => {
        stdout += d;
      });
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });

  beforeAll(async () => {
    t = await createTestDatabase('pglite');
    const h = createApiHarness(t.db, await createTestPki(t.db));
    token = await h.makeToken(await h.makeUser('operator'), ['devices:read', 'devices:write']);
    viewerToken = await h.makeToken(await h.makeUser('viewer'), ['devices:read']);
    server = await serveFetch((path, init) => h.request(path, init));
    await t.db.device.createMany({
      data: ['lab', 'lab', 'field'].map((site, i) => ({
        id: `dev_cli_group_${i}`,
        name: `box-${i}`,
        status: 'accepted' as const,
        facts: {},
        tags: { site, gpu: 'orin' },
        publicKeyPem: `key-${i}`,
      })),
    });
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
  });

  it('creates static and dynamic groups, lists them and deletes by name or id', async () => {
    const dynamic = await cli(['groups', 'create', 'lab-gpus', '--selector', 'site=lab', '--selector', 'gpu=orin']);
    expect(dynamic.code, dynamic.stderr).toBe(0);
    expect(dynamic.stdout).toBe('Created dynamic group "lab-gpus" (gpu=orin,site=lab): 2 device(s) match.\n');
    const fixed = await cli(['groups', 'create', 'spares', '--json']);
    expect(JSON.parse(fixed.stdout)).toMatchObject({ name: 'spares', kind: 'static', selector: null, deviceCount: 0 });

    const list = await cli(['groups', 'list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+KIND\s+SELECTOR\s+DEVICES$/);
    expect(list.stdout).toMatch(/lab-gpus\s+dynamic\s+gpu=orin,site=lab\s+2/);
    expect(list.stdout).toMatch(/spares\s+static\s+-\s+0/);

    const members = JSON.parse((await cli(['devices', 'list', '--group', 'lab-gpus', '--json'])).stdout);
    expect(members.total).toBe(2);

    expect((await cli(['groups', 'delete', 'lab-gpus'])).stdout).toBe('Deleted dynamic group "lab-gpus".\n');
    const id = (JSON.parse((await cli(['groups', 'list', '--json'])).stdout) as { id: string }[])[0]?.id ?? '';
    const byId = await cli(['groups', 'delete', id, '--json']);
    expect(JSON.parse(byId.stdout)).toEqual({ id, name: 'spares', kind: 'static' });
    expect((await cli(['groups', 'list'])).stdout).toBe('No groups yet.\n');
  });

  it('fails with one line: duplicates, bad selectors, unknown groups, missing scope', async () => {
    await cli(['groups', 'create', 'taken']);
    const cases: [string[], number, RegExp, string?][] = [
      [['groups', 'create', 'taken'], 1, /^edgefleet: A group named "taken" already exists\n$/],
      [['groups', 'create', 'x', '--selector', 'novalue'], 2, /not key=value/],
      [['groups', 'create', 'x', '--selector', 'bad key=1'], 1, /^edgefleet: selector: tag key "bad key"/],
      [['groups', 'delete', 'nope'], 1, /^edgefleet: no group named or with id "nope"\n$/],
      [['groups', 'create', 'by-viewer'], 1, /^edgefleet: .*devices:write/, viewerToken],
    ];
    for (const [args, code, message, as] of cases) {
      const r = await cli(args, as);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr, args.join(' ')).toMatch(message);
      if (code === 1) expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });

  it('has --help for every groups command', async () => {
    for (const args of [['groups', '--help'], ...['list', 'create', 'delete'].map((c) => ['groups', c, '--help'])]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/Usage: edgefleet groups/);
    }
  });
});
