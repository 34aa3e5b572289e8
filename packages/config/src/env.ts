import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';

/**
 * The repository root, where `.edgefleet/` lives by default: the nearest folder up from the
 * working directory holding turbo.json. (Not import.meta.url: bundlers rewrite it.)
 */
export function findRepoRoot(from: string = process.cwd()): string {
  for (let dir = resolve(/*turbopackIgnore: true*/ from); ; dir = dirname(dir)) {
    if (existsSync(join(/*turbopackIgnore: true*/ dir, 'turbo.json'))) return dir;
    if (dirname(dir) === dir) return resolve(/*turbopackIgnore: true*/ from);
  }
}

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const flag = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', ''])
  .default('')
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

// S3's bucket naming rules (3–63 characters of lowercase letters, digits, dots and hyphens).
const S3_URL = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/;
const artifactsLocation = z
  .string()
  .default('local')
  .transform((value, ctx): { kind: 'local' } | { kind: 's3'; bucket: string; prefix: string } => {
    if (value === 'local') return { kind: 'local' };
    const match = S3_URL.exec(value);
    if (!match?.[1]) {
      ctx.addIssue({
        code: 'custom',
        message: `EDGEFLEET_ARTIFACTS must be "local" or an s3://bucket/prefix URL with a valid bucket name, not "${value}"`,
      });
      return z.NEVER;
    }
    return { kind: 's3', bucket: match[1], prefix: (match[2] ?? '').replace(/^\/+|\/+$/g, '') };
  });

/**
 * The control plane's whole configuration surface. Nothing else reads process.env, so this
 * is also the list an operator can set. Every value has a default that runs fully embedded.
 */
const ZEnv = z.object({
  EDGEFLEET_DATA_DIR: z
    .string()
    .min(1)
    .default(() => resolve(findRepoRoot(), '.edgefleet')),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must be a postgresql:// URL')
    .optional(),
  PORT: port(3000),
  EDGEFLEET_DEVICE_PORT: port(8443),
  EDGEFLEET_MQTT_PORT: port(8883),
  EDGEFLEET_BIND: z.string().default('0.0.0.0'),
  EDGEFLEET_PUBLIC_HOST: z.string().default('localhost'),
  EDGEFLEET_PUBLIC_URL: z.url().optional(),
  EDGEFLEET_SECRET: z.string().min(32, 'EDGEFLEET_SECRET must be at least 32 characters').optional(),
  EDGEFLEET_ADMIN_EMAIL: z.email().optional(),
  EDGEFLEET_ADMIN_PASSWORD: z.string().min(10, 'EDGEFLEET_ADMIN_PASSWORD must be at least 10 characters').optional(),
  /** Trust X-Forwarded-For from a reverse proxy in front of the dashboard. */
  EDGEFLEET_TRUST_PROXY: flag,
  /** Set by the launcher when DATABASE_URL points at its embedded PGlite server. */
  EDGEFLEET_EMBEDDED_DB: flag,
  /** Set by the launcher for its children, which exit when it is gone. */
  EDGEFLEET_LAUNCHER_PID: z.coerce.number().int().positive().optional(),
  /** Where artifact bytes live: `local` (under EDGEFLEET_DATA_DIR) or `s3://bucket/prefix`. */
  EDGEFLEET_ARTIFACTS: artifactsLocation,
  /** An S3-compatible endpoint (MinIO, R2, …); unset means AWS. Credentials: the AWS SDK's default chain. */
  EDGEFLEET_S3_ENDPOINT: z.url().optional(),
  EDGEFLEET_S3_REGION: z.string().min(1).default('us-east-1'),
  /** `bucket` in the path rather than the host name, as most self-hosted S3 servers need. */
  EDGEFLEET_S3_FORCE_PATH_STYLE: flag,
  EDGEFLEET_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /**
   * Whether this gateway may run the rollout engine. With `on`, the gateways take turns by a
   * database lock (one leads at a time); `off` keeps a gateway out of it, e.g. a replica that only
   * serves devices. Rollouts do not advance while no gateway runs it.
   */
  EDGEFLEET_ENGINE: z.enum(['on', 'off']).default('on'),
  /** The gateway's Prometheus listener (plain HTTP, `GET /metrics`); `0` turns it off. */
  EDGEFLEET_METRICS_PORT: port(9464),
  /** Where that listener binds: loopback by default, since it is for the operator's Prometheus, not devices. */
  EDGEFLEET_METRICS_BIND: z.string().min(1).default('127.0.0.1'),
  /** When set, the dashboard's `/metrics` requires `Authorization: Bearer <token>`. */
  EDGEFLEET_METRICS_TOKEN: z.string().min(16, 'EDGEFLEET_METRICS_TOKEN must be at least 16 characters').optional(),
  /**
   * Enrollment requests allowed per minute from one address. Devices behind one NAT share it; a
   * site enrolling hundreds of boxes at once (or the simulator) may need more than the default.
   */
  EDGEFLEET_ENROLL_RATE_LIMIT: z.coerce.number().int().min(1).max(1_000_000).default(120),
  /**
   * An external MQTT broker (`mqtt://` or `mqtts://host:port`). Set, the gateway hosts no broker:
   * it connects to this one as a privileged client, consumes device messages through shared
   * subscriptions so replicas split them, and the broker's own configuration does the device ACLs.
   */
  EDGEFLEET_MQTT_URL: z
    .string()
    .regex(/^mqtts?:\/\/[^/\s]+(:\d+)?\/?$/, 'EDGEFLEET_MQTT_URL must look like mqtt://host:port or mqtts://host:port')
    .optional(),
  /** The gateway's own credentials at that broker (both or neither). */
  EDGEFLEET_MQTT_USERNAME: z.string().min(1).optional(),
  EDGEFLEET_MQTT_PASSWORD: z.string().min(1).optional(),
  /** CA bundle that verifies an `mqtts://` broker (default: the fleet CA chain). */
  EDGEFLEET_MQTT_CA_FILE: z.string().min(1).optional(),
  /** A client certificate and key for the gateway's connection (AWS IoT Core authenticates this way). */
  EDGEFLEET_MQTT_CERT_FILE: z.string().min(1).optional(),
  EDGEFLEET_MQTT_KEY_FILE: z.string().min(1).optional(),
  /**
   * The gateway's persistent MQTT session at the broker: unique and stable per replica, so that
   * messages waiting for a restarted replica are delivered to it and not lost.
   */
  EDGEFLEET_MQTT_CLIENT_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'EDGEFLEET_MQTT_CLIENT_ID must be 1-64 letters, digits, "_", ".", ":" or "-"')
    .optional(),
  /** The shared-subscription group the gateways join (`$share/<group>/edgefleet/devices/+/…`). */
  EDGEFLEET_MQTT_SHARE_GROUP: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'EDGEFLEET_MQTT_SHARE_GROUP must be 1-64 letters, digits, "_" or "-"')
    .default('edgefleet'),
  /** Where the gateway (re)writes the fleet CRL that the external broker reads (`crlfile`). */
  EDGEFLEET_MQTT_CRL_FILE: z.string().min(1).optional(),
  /** The broker address enrolling devices are given (default: the gateway's host and MQTT port). */
  EDGEFLEET_DEVICE_MQTT_HOST: z.string().min(1).optional(),
  EDGEFLEET_DEVICE_MQTT_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** Days raw telemetry (one row per agent message) is kept before the retention job deletes it. */
  EDGEFLEET_RETENTION_RAW_DAYS: z.coerce.number().int().min(1).max(3650).default(7),
  /** Days the 1-minute rollups (and device events) are kept. */
  EDGEFLEET_RETENTION_ROLLUP_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
});

export type Env = z.infer<typeof ZEnv> & { publicUrl: string };

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  // Empty strings mean "unset": `FOO= npm start` should not fail validation.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== ''));
  const parsed = ZEnv.safeParse(cleaned);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new ConfigError(`Invalid configuration: ${first?.path.join('.')}: ${first?.message}`);
  }
  const env = parsed.data;
  if (env.EDGEFLEET_MQTT_URL) {
    const pairs = [
      ['EDGEFLEET_MQTT_USERNAME', 'EDGEFLEET_MQTT_PASSWORD'],
      ['EDGEFLEET_MQTT_CERT_FILE', 'EDGEFLEET_MQTT_KEY_FILE'],
    ] as const;
    for (const [a, b] of pairs) {
      if ((env[a] === undefined) !== (env[b] === undefined)) {
        throw new ConfigError(`Invalid configuration: ${a} and ${b} go together; set both or neither`);
      }
    }
  } else {
    // (EDGEFLEET_MQTT_USERNAME/PASSWORD alone are fine: `npm run broker-config` reads them.)
    const stray = (
      [
        'EDGEFLEET_MQTT_CA_FILE',
        'EDGEFLEET_MQTT_CERT_FILE',
        'EDGEFLEET_MQTT_CLIENT_ID',
        'EDGEFLEET_MQTT_CRL_FILE',
      ] as const
    ).find((k) => env[k] !== undefined);
    if (stray) {
      throw new ConfigError(
        `Invalid configuration: ${stray} is set but EDGEFLEET_MQTT_URL is not (the embedded broker needs no credentials)`,
      );
    }
  }
  if (env.EDGEFLEET_MQTT_URL?.startsWith('mqtt://') && env.EDGEFLEET_MQTT_CERT_FILE) {
    throw new ConfigError('Invalid configuration: EDGEFLEET_MQTT_CERT_FILE needs an mqtts:// EDGEFLEET_MQTT_URL');
  }
  const dataDir = resolve(/*turbopackIgnore: true*/ env.EDGEFLEET_DATA_DIR);
  return {
    ...env,
    EDGEFLEET_DATA_DIR: dataDir,
    publicUrl: env.EDGEFLEET_PUBLIC_URL ?? `http://localhost:${env.PORT}`,
  };
}
