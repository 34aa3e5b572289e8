import { describe, expect, it } from 'vitest';
import { brokerConfig } from './broker-config.ts';

/** Runs the command with only `env`; failures must be one line on stderr. */
async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await brokerConfig(args, { env, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err };
}

const db = { DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none' };

describe('broker-config command line', () => {
  it('prints its usage with --help', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: npm run broker-config -- --out DIR');
    expect(r.out).toContain('--device-host HOST');
  });

  it('refuses, in one line, a missing --out, an unknown flag and a bad port', async () => {
    expect(await run([], db)).toMatchObject({ code: 2, err: ['broker-config: --out DIR is required'] });
    const unknown = await run(['--out', '/tmp/x', '--devce-port', '1'], db);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toHaveLength(1);
    expect(unknown.err[0]).toMatch(/^broker-config: Unknown option '--devce-port'.*--help/);
    expect(await run(['--out', '/tmp/x', '--device-port', '88830'], db)).toMatchObject({
      code: 2,
      err: ['broker-config: --device-port must be a port number, not "88830"'],
    });
  });

  it('refuses without DATABASE_URL or EDGEFLEET_MQTT_PASSWORD, before touching anything', async () => {
    const args = ['--out', '/nonexistent/never-written'];
    expect(await run(args, { EDGEFLEET_MQTT_PASSWORD: 'pw' })).toMatchObject({
      code: 2,
      err: ["broker-config: DATABASE_URL is not set: point it at the control plane's PostgreSQL"],
    });
    expect(await run(args, db)).toMatchObject({
      code: 2,
      err: ["broker-config: EDGEFLEET_MQTT_PASSWORD is not set: it is the gateways' password at the broker"],
    });
    expect(await run(args, { DATABASE_URL: 'mysql://x' })).toMatchObject({
      code: 2,
      err: ['broker-config: DATABASE_URL: DATABASE_URL must be a postgresql:// URL'],
    });
  });
});
