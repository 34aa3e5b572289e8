import { mkdir, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { FleetPki } from '@edgefleet/core/pki';

export interface MosquittoConfigOptions {
  pki: FleetPki;
  port: number;
  bind?: string;
}

/**
 * Writes a Mosquitto 2 configuration that gives devices the same guarantees as the embedded
 * broker's handshake and topic checks: a client certificate chaining to the fleet CA is
 * required, its CN becomes the username, and the ACL confines each device to its own namespace.
 * What Mosquitto cannot do from a file is check the database: device status and revocation
 * (the embedded broker's checkDeviceCertificate and revocation poller) need a CRL or an auth
 * plugin there. Returns the path of the main config file.
 */
export async function writeMosquittoConfig(dir: string, opts: MosquittoConfigOptions): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = (name: string) => join(dir, name);
  await writeFile(file('ca.pem'), opts.pki.caChainPem, { mode: 0o644 });
  await writeFile(file('server.crt'), opts.pki.gateway.certPem + opts.pki.issuingCertPem, { mode: 0o644 });
  await writeFile(file('server.key'), opts.pki.gateway.keyPem, { mode: 0o600 });
  // Devices read their whole namespace (desired state included) and write only what they report
  // (`status` is the agent's last will, published by the broker on the device's behalf).
  const acl = [
    'pattern read edgefleet/devices/%u/#',
    ...['heartbeat', 'events', 'telemetry', 'state', 'status'].map((t) => `pattern write edgefleet/devices/%u/${t}`),
  ];
  await writeFile(file('acl'), `${acl.join('\n')}\n`, { mode: 0o644 });
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
