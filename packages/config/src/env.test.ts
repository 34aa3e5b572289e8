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
    expect(env.EDGEFLEET_ARTIFACTS).toEqual({ kind: 'local' });
    expect(env.EDGEFLEET_S3_REGION).toBe('us-east-1');
    expect(env.EDGEFLEET_S3_FORCE_PATH_STYLE).toBe(false);
  });

  it('selects S3 artifact storage from an s3:// URL', () => {
    const env = loadEnv({
      EDGEFLEET_ARTIFACTS: 's3://fleet-artifacts/prod/blobs/',
      EDGEFLEET_S3_ENDPOINT: 'http://127.0.0.1:9000',
      EDGEFLEET_S3_FORCE_PATH_STYLE: 'true',
    });
    expect(env.EDGEFLEET_ARTIFACTS).toEqual({ kind: 's3', bucket: 'fleet-artifacts', prefix: 'prod/blobs' });
    expect(env.EDGEFLEET_S3_ENDPOINT).toBe('http://127.0.0.1:9000');
    expect(env.EDGEFLEET_S3_FORCE_PATH_STYLE).toBe(true);
    expect(loadEnv({ EDGEFLEET_ARTIFACTS: 's3://fleet' }).EDGEFLEET_ARTIFACTS).toEqual({
      kind: 's3',
      bucket: 'fleet',
      prefix: '',
    });
  });

  it('explains a malformed artifact location', () => {
    for (const bad of ['s3://', 's3:///prefix', 's3://Upper_Case/x', 'https://bucket/x', '/var/artifacts']) {
      expect(() => loadEnv({ EDGEFLEET_ARTIFACTS: bad })).toThrowError(
        /EDGEFLEET_ARTIFACTS must be "local" or an s3:\/\//,
      );
    }
    expect(() => loadEnv({ EDGEFLEET_S3_ENDPOINT: 'not a url' })).toThrowError(/EDGEFLEET_S3_ENDPOINT/);
  });

  it('takes overrides and treats empty values as unset', () => {
    const env = loadEnv({ PORT: '3100', EDGEFLEET_DATA_DIR: '/tmp/ef', DATABASE_URL: '', EDGEFLEET_TRUST_PROXY: '1' });
    expect(env.PORT).toBe(3100);
    expect(env.EDGEFLEET_DATA_DIR).toBe('/tmp/ef');
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.EDGEFLEET_TRUST_PROXY).toBe(true);
  });

  it('runs the rollout engine unless EDGEFLEET_ENGINE=off', () => {
    expect(loadEnv({}).EDGEFLEET_ENGINE).toBe('on');
    expect(loadEnv({ EDGEFLEET_ENGINE: 'off' }).EDGEFLEET_ENGINE).toBe('off');
    expect(() => loadEnv({ EDGEFLEET_ENGINE: 'maybe' })).toThrowError(/EDGEFLEET_ENGINE/);
  });

  it('limits enrollments to 120 a minute per address unless EDGEFLEET_ENROLL_RATE_LIMIT says otherwise', () => {
    expect(loadEnv({}).EDGEFLEET_ENROLL_RATE_LIMIT).toBe(120);
    expect(loadEnv({ EDGEFLEET_ENROLL_RATE_LIMIT: '5000' }).EDGEFLEET_ENROLL_RATE_LIMIT).toBe(5000);
    expect(() => loadEnv({ EDGEFLEET_ENROLL_RATE_LIMIT: '0' })).toThrowError(/EDGEFLEET_ENROLL_RATE_LIMIT/);
  });

  it("serves the gateway's metrics on loopback by default, and can turn them off", () => {
    const env = loadEnv({});
    expect(env.EDGEFLEET_METRICS_BIND).toBe('127.0.0.1');
    expect(env.EDGEFLEET_METRICS_PORT).toBe(9464);
    expect(env.EDGEFLEET_METRICS_TOKEN).toBeUndefined();
    expect(loadEnv({ EDGEFLEET_METRICS_PORT: '0' }).EDGEFLEET_METRICS_PORT).toBe(0);
    expect(loadEnv({ EDGEFLEET_METRICS_BIND: '0.0.0.0' }).EDGEFLEET_METRICS_BIND).toBe('0.0.0.0');
    expect(() => loadEnv({ EDGEFLEET_METRICS_TOKEN: 'short' })).toThrowError(/EDGEFLEET_METRICS_TOKEN/);
  });

  it('hosts the broker itself unless EDGEFLEET_MQTT_URL names an external one', () => {
    const embedded = loadEnv({});
    expect(embedded.EDGEFLEET_MQTT_URL).toBeUndefined();
    expect(embedded.EDGEFLEET_MQTT_SHARE_GROUP).toBe('edgefleet');
    const external = loadEnv({
      EDGEFLEET_MQTT_URL: 'mqtt://broker.internal:1883',
      EDGEFLEET_MQTT_USERNAME: 'edgefleet-gateway',
      EDGEFLEET_MQTT_PASSWORD: 'hunter2hunter2',
      EDGEFLEET_MQTT_CLIENT_ID: 'edgefleet-gateway-0',
      EDGEFLEET_DEVICE_MQTT_HOST: 'mqtt.example.com',
      EDGEFLEET_DEVICE_MQTT_PORT: '8883',
    });
    expect(external).toMatchObject({
      EDGEFLEET_MQTT_URL: 'mqtt://broker.internal:1883',
      EDGEFLEET_MQTT_CLIENT_ID: 'edgefleet-gateway-0',
      EDGEFLEET_DEVICE_MQTT_PORT: 8883,
    });
  });

  it('refuses a half-configured external broker with the setting at fault', () => {
    expect(() => loadEnv({ EDGEFLEET_MQTT_URL: 'tcp://broker:1883' })).toThrowError(
      /EDGEFLEET_MQTT_URL must look like mqtt:\/\/host:port/,
    );
    expect(() => loadEnv({ EDGEFLEET_MQTT_URL: 'mqtt://b:1883', EDGEFLEET_MQTT_USERNAME: 'gw' })).toThrowError(
      /EDGEFLEET_MQTT_USERNAME and EDGEFLEET_MQTT_PASSWORD go together/,
    );
    expect(() => loadEnv({ EDGEFLEET_MQTT_URL: 'mqtts://b:8883', EDGEFLEET_MQTT_KEY_FILE: '/k' })).toThrowError(
      /EDGEFLEET_MQTT_CERT_FILE and EDGEFLEET_MQTT_KEY_FILE go together/,
    );
    expect(() =>
      loadEnv({ EDGEFLEET_MQTT_URL: 'mqtt://b:1883', EDGEFLEET_MQTT_CERT_FILE: '/c', EDGEFLEET_MQTT_KEY_FILE: '/k' }),
    ).toThrowError(/needs an mqtts:\/\//);
    expect(() => loadEnv({ EDGEFLEET_MQTT_CRL_FILE: '/var/lib/mosquitto/crl.pem' })).toThrowError(
      /EDGEFLEET_MQTT_CRL_FILE is set but EDGEFLEET_MQTT_URL is not/,
    );
    expect(() => loadEnv({ EDGEFLEET_MQTT_URL: 'mqtt://b:1883', EDGEFLEET_MQTT_CLIENT_ID: 'has space' })).toThrowError(
      /EDGEFLEET_MQTT_CLIENT_ID/,
    );
  });

  it('says which setting is wrong', () => {
    expect(() => loadEnv({ DATABASE_URL: 'mysql://x' })).toThrowError(ConfigError);
    expect(() => loadEnv({ DATABASE_URL: 'mysql://x' })).toThrowError(/DATABASE_URL/);
    expect(() => loadEnv({ PORT: 'eighty' })).toThrowError(/PORT/);
    expect(() => loadEnv({ EDGEFLEET_ADMIN_PASSWORD: 'short' })).toThrowError(/EDGEFLEET_ADMIN_PASSWORD/);
  });
});
