import { PROTOCOL_VERSION, type TDeviceFacts, type TEnrollResponse, ZEnrollResponse } from '@edgefleet/protocol/device';
import { Backoff } from './backoff.ts';
import { createCsr, generateDeviceKey, keyMatchesCertificate, verifyCaChain } from './certs.ts';
import type { DataDir, Identity } from './data-dir.ts';
import { formatDuration } from './duration.ts';
import { AgentError, errorMessage } from './errors.ts';
import { GatewayClient, GatewayError, GatewayUnreachable } from './gateway-client.ts';
import { dataDirTls } from './install/https.ts';
import { saveTrustedRoot } from './install/tuf-client.ts';
import type { Clock, Log } from './runtime.ts';
import { establishTrust, type TrustSource } from './trust.ts';

export interface EnrollDeps {
  dataDir: DataDir;
  clock: Clock;
  log: Log;
  random?: () => number;
  collectFacts: () => Promise<TDeviceFacts>;
}

export interface EnrollOptions {
  server?: string;
  token?: string;
  trust?: TrustSource;
  mqttPort?: number;
  /** First poll delay; defaults to the server's retryAfterSeconds. */
  pollIntervalMs?: number;
  pollMaxMs?: number;
  timeoutMs: number;
}

export type EnrollOutcome = { kind: 'accepted' | 'already-enrolled'; deviceId: string };

/**
 * `edgefleet-agent enroll`. Resumable at every step: the pinned chain and key are on disk before
 * the request, identity.json records a pending enrollment, so a restart keeps polling instead of
 * enrolling again (which the server would refuse as a replay anyway).
 */
export async function enroll(deps: EnrollDeps, opts: EnrollOptions): Promise<EnrollOutcome> {
  const { dataDir, log } = deps;
  await dataDir.ensure();
  const existing = await dataDir.readIdentity();
  if (existing && opts.server && new URL(opts.server).origin !== new URL(existing.server).origin) {
    throw new AgentError(
      `${dataDir.root} already belongs to ${existing.server} (device ${existing.deviceId}); use another --data-dir`,
    );
  }
  if (existing?.status === 'accepted') {
    log(`Already enrolled as ${existing.deviceId} with ${existing.server}; nothing to do.`);
    return { kind: 'already-enrolled', deviceId: existing.deviceId };
  }
  if (existing?.status === 'pending') {
    log(`Resuming the pending enrollment of ${existing.deviceId} with ${existing.server}.`);
    return poll(deps, opts, existing, await dataDir.require('ca'));
  }

  if (!opts.server) throw new AgentError('--server is required to enroll', 2);
  if (!opts.token) throw new AgentError('--token is required to enroll', 2);
  if (!opts.trust) {
    throw new AgentError(
      'pin the control plane CA with --ca-fingerprint SHA256 (shown in Settings) or --ca FILE; ' +
        'without it anyone on the network could pose as the server',
      2,
    );
  }
  const server = new URL(opts.server);
  const { caChainPem } = await establishTrust(server, opts.trust, log);
  await dataDir.write('ca', caChainPem);
  const key = generateDeviceKey();
  await dataDir.write('key', key.keyPem);
  const csr = await createCsr(key.keyPem, 'edgefleet-device');
  const facts = await deps.collectFacts();

  const client = new GatewayClient(server, { ca: caChainPem });
  const res = await client.postJson(
    '/v1/enroll',
    { v: PROTOCOL_VERSION, token: opts.token, csr, facts },
    ZEnrollResponse,
  );
  const identity: Identity = {
    v: 1,
    deviceId: res.deviceId,
    server: server.origin,
    // --mqtt-port wins, then what the gateway says, then the standard port; the host is the
    // gateway's unless it names another (an external broker).
    mqtt: {
      host: (res.status === 'rejected' ? undefined : res.mqtt?.host) ?? server.hostname,
      port: opts.mqttPort ?? (res.status === 'rejected' ? undefined : res.mqtt?.port) ?? 8883,
    },
    status: 'pending',
    enrolledAt: deps.clock.now().toISOString(),
  };
  if (res.status === 'pending') {
    if (!res.pollSecret) throw new AgentError('the server put the device in pending but sent no poll secret');
    await dataDir.writeIdentity({ ...identity, pollSecret: res.pollSecret });
    return poll(deps, opts, { ...identity, pollSecret: res.pollSecret }, caChainPem, res.retryAfterSeconds);
  }
  return settle(deps, identity, caChainPem, res);
}

/** Stores the outcome of an accepted or rejected enrollment; identity.json is written last. */
async function settle(
  deps: EnrollDeps,
  identity: Identity,
  pinnedChain: string,
  res: Exclude<TEnrollResponse, { status: 'pending' }>,
): Promise<EnrollOutcome> {
  const { dataDir, log } = deps;
  if (res.status === 'rejected') {
    await dataDir.writeIdentity({ ...identity, status: 'rejected', pollSecret: undefined, rejectedReason: res.reason });
    throw new AgentError(`enrollment of ${res.deviceId} was rejected: ${res.reason}`);
  }
  const keyPem = await dataDir.require('key');
  if (!keyMatchesCertificate(keyPem, res.certificate)) {
    throw new AgentError('the server returned a certificate that does not match this device key');
  }
  // The server's chain must lead to the root that was pinned, or later connections would trust a stranger.
  const pinnedRoot = verifyCaChain(pinnedChain).rootFingerprint;
  const chain = verifyCaChain(res.caChain);
  if (chain.rootFingerprint !== pinnedRoot) throw new AgentError('the server sent a CA chain for a different root');
  await dataDir.write('cert', res.certificate);
  await dataDir.write('ca', chain.certificates.join(''));
  await dataDir.writeIdentity({
    ...identity,
    status: 'accepted',
    pollSecret: undefined,
    acceptedAt: deps.clock.now().toISOString(),
  });
  // The trust anchor for model updates, fetched over the now verified mTLS connection.
  try {
    await saveTrustedRoot(dataDir.root, new URL(identity.server), dataDirTls(dataDir));
  } catch (e) {
    log(`Could not fetch the update trust root yet (${errorMessage(e)}); edgefleet-agent run fetches it.`);
  }
  log(`Enrolled as ${res.deviceId}; certificate valid until ${res.notAfter}. Start it with: edgefleet-agent run`);
  return { kind: 'accepted', deviceId: res.deviceId };
}

async function poll(
  deps: EnrollDeps,
  opts: EnrollOptions,
  identity: Identity,
  caChainPem: string,
  retryAfterSeconds?: number,
): Promise<EnrollOutcome> {
  const { clock, log } = deps;
  if (!identity.pollSecret) throw new AgentError(`${deps.dataDir.root}: pending identity without a poll secret`);
  const initialMs = opts.pollIntervalMs ?? (retryAfterSeconds ?? 5) * 1000;
  const backoff = new Backoff({ initialMs, maxMs: Math.max(initialMs, opts.pollMaxMs ?? 60_000) }, deps.random);
  const client = new GatewayClient(new URL(identity.server), { ca: caChainPem });
  const deadline = clock.now().getTime() + opts.timeoutMs;
  for (;;) {
    const wait = Math.min(backoff.next(), Math.max(0, deadline - clock.now().getTime()));
    log(
      `waiting for an operator to approve device ${identity.deviceId} (pending); next check in ${formatDuration(wait)}`,
    );
    await clock.sleep(wait);
    let res: TEnrollResponse;
    try {
      res = await client.postJson(
        '/v1/enroll/poll',
        { v: PROTOCOL_VERSION, deviceId: identity.deviceId, pollSecret: identity.pollSecret },
        ZEnrollResponse,
      );
    } catch (e) {
      const transient = e instanceof GatewayUnreachable || (e instanceof GatewayError && e.retryable);
      if (!transient) throw e;
      log(`poll failed, will retry: ${(e as Error).message}`);
      res = { status: 'pending', deviceId: identity.deviceId, retryAfterSeconds: 1 };
    }
    if (res.status !== 'pending') return settle(deps, identity, caChainPem, res);
    if (clock.now().getTime() >= deadline) {
      throw new AgentError(
        `gave up after ${formatDuration(opts.timeoutMs)}: device ${identity.deviceId} is still pending; ` +
          'run enroll again to keep waiting',
      );
    }
  }
}
