import { spawn } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApiHarness } from '@edgefleet/api/testing';
import { serveFetch } from '@edgefleet/api/testing/http';
import { createTestDatabase } from '@edgefleet/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../bin/edgefleet.js', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('edgefleet CLI against a running API', () => {
  let t: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: Awaited<ReturnType<typeof serveFetch>>;
  let admin: { email: string; password: string };
  const configDir = mkdtempSync(join(tmpdir(), 'ef-cli-'));

  const cli = (args: string[], env: Record<string, string> = {}): Promise<Run> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args], {
        env: {
          ...process.env,
          EDGEFLEET_CONFIG_DIR: configDir,
          EDGEFLEET_URL: server.url,
          EDGEFLEET_TOKEN: '',
          ...env,
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
    const h = createApiHarness(t.db);
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

  it('has --help for every command', async () => {
    for (const args of [['--help'], ['login', '--help'], ['tokens', 'create', '--help']]) {
      const r = await cli(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Usage: edgefleet/);
    }
  });
});
