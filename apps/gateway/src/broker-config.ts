/**
 * `npm run broker-config -- --out DIR …`: writes the Mosquitto 2 configuration for external-broker
 * mode (see writeBrokerConfig) from the fleet PKI in DATABASE_URL. Arguments are parsed with
 * node:util's parseArgs: the gateway does not depend on commander, and nine flags do not need it.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, loadEnv } from '@edgefleet/config/env';
import { loadOrCreateSecret } from '@edgefleet/config/secrets';
import { loadOrCreateFleetPki } from '@edgefleet/core/pki';
import { fleetCrlPem, issueBrokerCertificate, revokedDeviceSerials } from '@edgefleet/core/pki/revoked-serials';
import { createDb } from '@edgefleet/db/client';
import { writeBrokerConfig } from './mosquitto.ts';

const USAGE = `Usage: npm run broker-config -- --out DIR [options]

Writes a Mosquitto 2 configuration for EdgeFleet's external-broker mode into DIR: a device
listener (mTLS with the fleet CA, per-device ACL, the fleet CRL) and a control-plane listener
(plain MQTT, password; keep it on the private network) for the gateways.

Environment: DATABASE_URL (required), EDGEFLEET_MQTT_PASSWORD (required: the gateways'
broker password), EDGEFLEET_SECRET (as the gateways have it), EDGEFLEET_PUBLIC_HOST.

Options:
  --out DIR                 where to write the files (created if missing)
  --device-host HOST        a name or IP devices use to reach the broker; repeatable
                            (the certificate also covers localhost and 127.0.0.1)
  --device-port PORT        device listener, mTLS (default 8883)
  --device-bind ADDR        device listener address (default: every interface)
  --gateway-port PORT       control-plane listener, plain MQTT (default 1883)
  --gateway-bind ADDR       control-plane listener address (default: every interface)
  --gateway-username NAME   the gateways' broker user (default: EDGEFLEET_MQTT_USERNAME or edgefleet-gateway)
  --broker-dir PATH         where the broker sees DIR, e.g. its mount point in a container (default: DIR)
  --user NAME               the user Mosquitto drops to when started as root (default: Mosquitto's, mosquitto)
  -h, --help                show this help`;

export interface BrokerConfigIo {
  env: NodeJS.ProcessEnv;
  out(line: string): void;
  err(line: string): void;
}

class UsageError extends Error {}

function port(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new UsageError(`--${name} must be a port number, not "${value}"`);
  return n;
}

/** Runs the command; returns the exit code. Every failure is one line on stderr. */
export async function brokerConfig(args: string[], io: BrokerConfigIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (e) {
    io.err(`broker-config: ${e instanceof Error ? e.message : String(e)} (run with --help for usage)`);
    return 2;
  }
  if (parsed.values.help) {
    io.out(USAGE);
    return 0;
  }
  const v = parsed.values;
  let db: ReturnType<typeof createDb> | undefined;
  try {
    if (!v.out) throw new UsageError('--out DIR is required');
    const devicePort = port('device-port', v['device-port'], 8883);
    const gatewayPort = port('gateway-port', v['gateway-port'], 1883);
    const gatewayUsername = v['gateway-username'] ?? io.env.EDGEFLEET_MQTT_USERNAME ?? 'edgefleet-gateway';
    const env = loadEnv(io.env);
    if (!env.DATABASE_URL) {
      throw new UsageError("DATABASE_URL is not set: point it at the control plane's PostgreSQL");
    }
    if (!env.EDGEFLEET_MQTT_PASSWORD) {
      throw new UsageError("EDGEFLEET_MQTT_PASSWORD is not set: it is the gateways' password at the broker");
    }
    const now = new Date();
    db = createDb({ url: env.DATABASE_URL, maxConnections: 2 });
    const secret = loadOrCreateSecret(env.EDGEFLEET_DATA_DIR, env.EDGEFLEET_SECRET);
    // Creates the fleet CA when no gateway has yet; with the gateways' EDGEFLEET_PUBLIC_HOST
    // (default localhost) it leaves their certificate alone.
    const pki = await loadOrCreateFleetPki(db, { secret, publicHost: env.EDGEFLEET_PUBLIC_HOST, now });
    const hosts = v['device-host'] ?? [];
    const [server, crlPem, revoked] = await Promise.all([
      issueBrokerCertificate(db, { secret, hosts, now }),
      fleetCrlPem(db, { secret, now }),
      revokedDeviceSerials(db, now),
    ]);
    const dir = resolve(v.out);
    const conf = await writeBrokerConfig(dir, {
      caChainPem: pki.caChainPem,
      issuingCertPem: pki.issuingCertPem,
      server,
      crlPem,
      devicePort,
      deviceBind: v['device-bind'],
      gatewayPort,
      gatewayBind: v['gateway-bind'],
      gatewayUsername,
      gatewayPassword: env.EDGEFLEET_MQTT_PASSWORD,
      brokerDir: v['broker-dir'],
      user: v.user,
    });
    io.out(`wrote ${conf}`);
    io.out(`  device listener :${devicePort} (mTLS, fleet CA ${pki.fingerprint})`);
    io.out(`    server.crt for ${[...new Set([...hosts, 'localhost', '127.0.0.1'])].join(', ')}`);
    io.out(`    crl.pem: ${revoked.length} revoked certificate(s); keep it current with EDGEFLEET_MQTT_CRL_FILE`);
    io.out(`  control-plane listener :${gatewayPort} (plain MQTT, user ${gatewayUsername}): private network only`);
    io.out(`  files: ca.pem server.crt server.key crl.pem acl-devices acl-gateway passwd mosquitto.conf, data/`);
    // Mosquitto drops privileges before it reads them: an unreadable passwd stops it at start.
    io.out("  server.key and passwd are readable by their owner only: chown the directory to the broker's user");
    return 0;
  } catch (e) {
    // Prisma's errors quote the calling code over several lines; the cause is the last one.
    const message = (e instanceof Error ? e.message : String(e)).trim().split('\n').at(-1)?.trim() ?? '';
    io.err(`broker-config: ${message.replace(/^Invalid configuration: /, '')}`);
    return e instanceof UsageError || e instanceof ConfigError ? 2 : 1;
  } finally {
    await db?.$disconnect();
  }
}

function parse(args: string[]) {
  return parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      out: { type: 'string' },
      'device-host': { type: 'string', multiple: true },
      'device-port': { type: 'string' },
      'device-bind': { type: 'string' },
      'gateway-port': { type: 'string' },
      'gateway-bind': { type: 'string' },
      'gateway-username': { type: 'string' },
      'broker-dir': { type: 'string' },
      user: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await brokerConfig(process.argv.slice(2), {
    env: process.env,
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
  });
}
