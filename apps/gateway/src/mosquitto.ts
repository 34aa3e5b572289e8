import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '@edgefleet/config/fs-atomic';
import type { FleetPki } from '@edgefleet/core/pki';
import forge from 'node-forge';

/** Topics a device may write (`status` is the agent's last will, published by the broker on its behalf). */
const DEVICE_WRITES = ['heartbeat', 'events', 'telemetry', 'state', 'status'];

/** Devices read their whole namespace (desired state included) and write only what they report. */
const deviceAcl = () =>
  ['pattern read edgefleet/devices/%u/#', ...DEVICE_WRITES.map((t) => `pattern write edgefleet/devices/%u/${t}`)]
    .join('\n')
    .concat('\n');

export interface MosquittoConfigOptions {
  pki: FleetPki;
  port: number;
  bind?: string;
}

/**
 * Writes a Mosquitto 2 configuration that gives devices the same guarantees as the embedded
 * broker's handshake and topic checks: a client certificate chaining to the fleet CA is
 * required, its CN becomes the username, and the ACL confines each device to its own namespace.
 * Devices only, and no revocation: writeBrokerConfig is the full external-broker layout (with
 * the fleet CRL and a listener for the gateways). Returns the path of the main config file.
 */
export async function writeMosquittoConfig(dir: string, opts: MosquittoConfigOptions): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = (name: string) => join(dir, name);
  await writeFile(file('ca.pem'), opts.pki.caChainPem, { mode: 0o644 });
  await writeFile(file('server.crt'), opts.pki.gateway.certPem + opts.pki.issuingCertPem, { mode: 0o644 });
  await writeFile(file('server.key'), opts.pki.gateway.keyPem, { mode: 0o600 });
  await writeFile(file('acl'), deviceAcl(), { mode: 0o644 });
  const config = [
    'per_listener_settings false',
    'persistence false',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    // Mosquitto started as root drops to the `mosquitto` user, which could not read this dir.
    `user ${userInfo().username}`,
    'allow_anonymous false',
    `acl_file ${file('acl')}`,
    `listener ${opts.port} ${opts.bind ?? '127.0.0.1'}`,
    'protocol mqtt',
    `cafile ${file('ca.pem')}`,
    `certfile ${file('server.crt')}`,
    `keyfile ${file('server.key')}`,
    'tls_version tlsv1.2',
    'require_certificate true',
    'use_identity_as_username true',
    '',
  ].join('\n');
  await writeFile(file('mosquitto.conf'), config, { mode: 0o644 });
  return file('mosquitto.conf');
}

/** Mosquitto's `$7$` password hash (mosquitto_passwd since 2.0): PBKDF2-HMAC-SHA512, 101 rounds, 12-byte salt. */
export function mosquittoPasswordHash(password: string, salt: Buffer = randomBytes(12)): string {
  const iterations = 101;
  const hash = pbkdf2Sync(password, salt, iterations, 64, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/**
 * Writes the CRL `pem` to `path` by rename, so a broker reloading at any moment reads the old CRL
 * or the new one, never a torn file, and refuses to write anything that is not one DER-parseable
 * CRL. Both matter: Mosquitto 2.0.11, on SIGHUP with a CRL it cannot load, logs an error and
 * serves with no CRL at all, admitting revoked devices (mosquitto-broker.int.test.ts shows it).
 */
export async function writeCrlFile(path: string, pem: string): Promise<void> {
  const blocks = (() => {
    try {
      return forge.pem.decode(pem);
    } catch {
      return [];
    }
  })();
  const block = blocks.length === 1 ? blocks[0] : undefined;
  if (block?.type !== 'X509 CRL' || !parsesAsDer(block.body)) {
    throw new Error(`refusing to write ${path}: not a single PEM "X509 CRL"`);
  }
  // Synced and renamed: after a power loss the name must not point at an empty file.
  await writeFileAtomic(path, pem, 0o644);
}

function parsesAsDer(bytes: string): boolean {
  try {
    forge.asn1.fromDer(bytes); // strict: the whole input, lengths checked
    return true;
  } catch {
    return false;
  }
}

export interface BrokerConfigOptions {
  /** The fleet CA chain (issuing, then root): devices' certificates must chain to it. */
  caChainPem: string;
  /** Appended to the server certificate, so devices that trust only the root can build the chain. */
  issuingCertPem: string;
  /** The broker's own certificate (leaf, issued by the fleet's issuing CA) and key. */
  server: { certPem: string; keyPem: string };
  /** The fleet CRL (fleetCrlPem). */
  crlPem: string;
  devicePort: number;
  /** Default: every interface. */
  deviceBind?: string;
  gatewayPort: number;
  /** Default: every interface. This listener is plain MQTT: keep it on a private network. */
  gatewayBind?: string;
  gatewayUsername: string;
  gatewayPassword: string;
  /**
   * The directory as the broker will see it (a container mounts it elsewhere): mosquitto.conf
   * names its files by absolute path, since Mosquitto resolves relative ones from its working
   * directory. Default: `dir`.
   */
  brokerDir?: string;
  /** Default: `<brokerDir>/data/`. */
  persistenceDir?: string;
  /** Who Mosquitto drops to when started as root (`user`). Default: Mosquitto's own, `mosquitto`. */
  user?: string;
}

const USERNAME = /^[A-Za-z0-9_.@-]{1,64}$/;

/**
 * Writes a Mosquitto 2 configuration for external-broker mode into `dir` and returns the path of
 * its mosquitto.conf. Two listeners with their own settings (`per_listener_settings true`):
 *
 * - devices: mTLS with the fleet CA, the certificate's CN as username, the fleet CRL (what the
 *   embedded broker learns from the database: revoked, retired and no-longer-accepted devices),
 *   and an ACL confining each device to `edgefleet/devices/<its id>/`;
 * - control plane: username and password (PBKDF2 hash), read and write on `edgefleet/#`, for the
 *   gateways. Plain MQTT: it must be reachable only from the control plane's private network.
 *
 * Persistence is on, and the queue limits high, so that QoS 1 messages for a gateway replica
 * that is restarting wait in its persistent session instead of being dropped.
 */
export async function writeBrokerConfig(dir: string, opts: BrokerConfigOptions): Promise<string> {
  if (!USERNAME.test(opts.gatewayUsername)) {
    throw new Error(`gateway username "${opts.gatewayUsername}" must be 1-64 letters, digits, "_", ".", "@" or "-"`);
  }
  if (!opts.gatewayPassword) throw new Error('the gateway password must not be empty');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const brokerDir = resolve(opts.brokerDir ?? dir);
  const at = (name: string) => join(brokerDir, name);
  const persistenceDir = opts.persistenceDir ?? `${at('data')}/`;
  if (!opts.persistenceDir) await mkdir(join(dir, 'data'), { recursive: true, mode: 0o755 });

  const local = (name: string) => join(dir, name);
  await writeFile(local('ca.pem'), opts.caChainPem, { mode: 0o644 });
  await writeFile(local('server.crt'), opts.server.certPem + opts.issuingCertPem, { mode: 0o644 });
  await writeFile(local('server.key'), opts.server.keyPem, { mode: 0o600 });
  await writeCrlFile(local('crl.pem'), opts.crlPem);
  await writeFile(local('acl-devices'), deviceAcl(), { mode: 0o644 });
  await writeFile(local('acl-gateway'), `user ${opts.gatewayUsername}\ntopic readwrite edgefleet/#\n`, { mode: 0o644 });
  await writeFile(local('passwd'), `${opts.gatewayUsername}:${mosquittoPasswordHash(opts.gatewayPassword)}\n`, {
    mode: 0o600,
  });
  const listen = (port: number, bind?: string) => `listener ${port}${bind ? ` ${bind}` : ''}`;
  const config = [
    '# Generated by `npm run broker-config` (EdgeFleet). Regenerate rather than edit.',
    'per_listener_settings true',
    ...(opts.user ? [`user ${opts.user}`] : []),
    'persistence true',
    `persistence_location ${persistenceDir}`,
    'max_inflight_messages 1000',
    'max_queued_messages 100000',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    '',
    '# Devices: mTLS with the fleet CA; the certificate CN (the device id) is the username.',
    listen(opts.devicePort, opts.deviceBind),
    'protocol mqtt',
    `cafile ${at('ca.pem')}`,
    `certfile ${at('server.crt')}`,
    `keyfile ${at('server.key')}`,
    `crlfile ${at('crl.pem')}`,
    'tls_version tlsv1.2',
    'require_certificate true',
    'use_identity_as_username true',
    // Else a device could connect under another's client id, or a gateway's, and kick it off.
    'use_username_as_clientid true',
    'allow_anonymous false',
    `acl_file ${at('acl-devices')}`,
    '',
    '# Control plane (EdgeFleet gateways): password, plain MQTT. Private network only.',
    listen(opts.gatewayPort, opts.gatewayBind),
    'protocol mqtt',
    'allow_anonymous false',
    `password_file ${at('passwd')}`,
    `acl_file ${at('acl-gateway')}`,
    '',
  ].join('\n');
  await writeFile(local('mosquitto.conf'), config, { mode: 0o644 });
  return local('mosquitto.conf');
}
