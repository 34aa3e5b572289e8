import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, findRepoRoot, loadEnv } from './env.ts';

describe('loadEnv', () => {
  it('runs fully embedded with no settings', () => {
    const env = loadEnv({});
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.PORT).toBe(3000);
    expect(env.EDGEFLEET_DEVICE_PORT).toBe(8443);
    expect(env.EDGEFLEET_MQTT_PORT).toBe(8883);
    expect(env.EDGEFLEET_DATA_DIR).toBe(join(findRepoRoot(), '.edgefleet'));
    expect(env.publicUrl).toBe('http://localhost:3000');
  });

  it('takes overrides and treats empty values as unset', () => {
    const env = loadEnv({ PORT: '3100', EDGEFLEET_DATA_DIR: '/tmp/ef', DATABASE_URL: '', EDGEFLEET_TRUST_PROXY: '1' });
    expect(env.PORT).toBe(3100);
    expect(env.EDGEFLEET_DATA_DIR).toBe('/tmp/ef');
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.EDGEFLEET_TRUST_PROXY).toBe(true);
  });

  it('says which setting is wrong', () => {
    expect(() => loadEnv({ DATABASE_URL: 'mysql://x' })).toThrowError(ConfigError);
    expect(() => loadEnv({ DATABASE_URL: 'mysql://x' })).toThrowError(/DATABASE_URL/);
    expect(() => loadEnv({ PORT: 'eighty' })).toThrowError(/PORT/);
    expect(() => loadEnv({ EDGEFLEET_ADMIN_PASSWORD: 'short' })).toThrowError(/EDGEFLEET_ADMIN_PASSWORD/);
  });
});
