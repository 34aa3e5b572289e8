import { PROTOCOL_VERSION, type THeartbeat, topics } from '@edgefleet/protocol/device';
import { Backoff, type BackoffPolicy } from './backoff.ts';
import { certificateInfo, keyMatchesCertificate } from './certs.ts';
import type { AgentState, DataDir, Identity } from './data-dir.ts';
import { formatDuration } from './duration.ts';
import { AgentError, errorMessage } from './errors.ts';
import { AGENT_VERSION } from './facts.ts';
import type { DeviceLink, LinkFactory } from './mqtt-link.ts';
import { type Credentials, recoverRenewal, renewalDue, renewCertificate } from './renew.ts';
import { abortable, type Clock, isAbort, type Log, withTimeout } from './runtime.ts';

export interface AgentDeps {
  dataDir: DataDir;
  links: LinkFactory;
  clock: Clock;
  log: Log;
  random?: () => number;
  heartbeatMs: number;
  reconnect: BackoffPolicy;
  /** Overrides identity.json's MQTT port. */
  mqttPort?: number;
  renew?: (dataDir: DataDir, server: URL, current: Credentials) => Promise<Date>;
}

type SessionEnd = { kind: 'interrupted'; error: Error } | { kind: 'renew' } | { kind: 'stopped' };

/**
 * `edgefleet-agent run`: keeps one mTLS MQTT connection up and heartbeats over it. A single loop
 * (connect → session → back off → reconnect) so there is exactly one connection and one writer
 * of state.json; renewal happens between sessions, with the new credentials used at once.
 */
export class Agent {
  private readonly backoff: Backoff;
  private readonly startedAt: Date;
  private state: AgentState;
  /** After a failed renewal, the next attempt waits until then (the old certificate still works). */
  private renewRetryAt = 0;

  constructor(private readonly deps: AgentDeps) {
    this.backoff = new Backoff(deps.reconnect, deps.random);
    this.startedAt = deps.clock.now();
    const now = this.startedAt.toISOString();
    this.state = { v: 1, pid: process.pid, connection: 'connecting', since: now, updatedAt: now };
  }

  async run(signal: AbortSignal): Promise<void> {
    const { dataDir, log } = this.deps;
    await recoverRenewal(dataDir);
    const previous = await dataDir.readState().catch(() => null);
    if (previous?.lastRenewedAt) this.state.lastRenewedAt = previous.lastRenewedAt;
    while (!signal.aborted) {
      const { identity, creds } = await this.loadCredentials();
      if (await this.renewIfDue(identity, creds)) continue;
      const port = this.deps.mqttPort ?? identity.mqtt.port;
      await this.setState({ connection: 'connecting' });
      const link = this.deps.links({
        host: identity.mqtt.host,
        port,
        clientId: identity.deviceId,
        ...creds,
        keepAliveSeconds: (this.deps.heartbeatMs * 2) / 1000,
      });
      let end: SessionEnd;
      let connected = false;
      try {
        await abortable(link.connect(), signal);
        connected = true;
        log(`connected to mqtts://${identity.mqtt.host}:${port} as ${identity.deviceId}`);
        await this.setState({ connection: 'connected', lastConnectedAt: this.deps.clock.now().toISOString() });
        end = await this.session(link, identity, signal);
      } catch (e) {
        end = isAbort(e) ? { kind: 'stopped' } : { kind: 'interrupted', error: e as Error };
      }
      await link.disconnect();
      if (end.kind === 'stopped') break;
      if (end.kind === 'renew') continue;
      const wait = this.backoff.next();
      const reason = end.error.message.replace(/\.$/, '');
      log(
        `${connected ? 'disconnected' : `cannot connect to mqtts://${identity.mqtt.host}:${port}`}: ${reason}; ` +
          `reconnecting in ${formatDuration(wait)}`,
      );
      await this.setState({ connection: 'disconnected', lastError: reason });
      try {
        await this.deps.clock.sleep(wait, signal);
      } catch (e) {
        if (!isAbort(e)) throw e;
      }
    }
    await this.setState({ connection: 'stopped' });
    log('stopped');
  }

  /** Heartbeats until the connection drops, a renewal is due, or the agent is told to stop. */
  private session(link: DeviceLink, identity: Identity, signal: AbortSignal): Promise<SessionEnd> {
    return new Promise<SessionEnd>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (end: SessionEnd) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(end);
      };
      const onAbort = () => finish({ kind: 'stopped' });
      // Told to stop while the connection was being set up: an aborted signal fires no more events.
      if (signal.aborted) return finish({ kind: 'stopped' });
      signal.addEventListener('abort', onAbort, { once: true });
      link.onInterrupted((error) => finish({ kind: 'interrupted', error }));
      const beat = async () => {
        try {
          const certPem = await this.deps.dataDir.require('cert');
          const cert = certificateInfo(certPem);
          const now = this.deps.clock.now();
          if (this.renewalDue(cert, now)) return finish({ kind: 'renew' });
          const heartbeat: THeartbeat = {
            v: PROTOCOL_VERSION,
            ts: now.toISOString(),
            uptimeSeconds: Math.max(0, (now.getTime() - this.startedAt.getTime()) / 1000),
            agentVersion: AGENT_VERSION,
            certificateNotAfter: cert.notAfter.toISOString(),
          };
          await withTimeout(link.publish(topics.heartbeat(identity.deviceId), JSON.stringify(heartbeat)), 10_000);
          // Only a delivered heartbeat proves the connection works; a broker that accepts and then drops us keeps backing off.
          this.backoff.reset();
          await this.setState({ lastHeartbeatAt: now.toISOString() });
        } catch (e) {
          return finish({ kind: 'interrupted', error: e as Error });
        }
        if (!signal.aborted) timer = setTimeout(beat, this.deps.heartbeatMs);
      };
      void beat();
    });
  }

  /** True when a new certificate was installed (the caller reconnects with it). Failures wait and retry. */
  private async renewIfDue(identity: Identity, creds: Credentials): Promise<boolean> {
    const cert = certificateInfo(creds.certPem);
    const now = this.deps.clock.now();
    if (!this.renewalDue(cert, now)) return false;
    try {
      const notAfter = await (this.deps.renew ?? renewCertificate)(this.deps.dataDir, new URL(identity.server), creds);
      this.deps.log(`certificate renewed; the new one is valid until ${notAfter.toISOString()}`);
      await this.setState({ lastRenewedAt: this.deps.clock.now().toISOString() });
      return true;
    } catch (e) {
      const wait = Math.max(this.deps.reconnect.maxMs, 60_000);
      this.renewRetryAt = now.getTime() + wait;
      this.deps.log(
        `certificate renewal failed (expires ${cert.notAfter.toISOString()}); retrying in ${formatDuration(wait)}: ${errorMessage(e)}`,
      );
      return false;
    }
  }

  private renewalDue(cert: { notBefore: Date; notAfter: Date }, now: Date): boolean {
    return renewalDue(cert, now) && now.getTime() >= this.renewRetryAt;
  }

  private async loadCredentials(): Promise<{ identity: Identity; creds: Credentials }> {
    const { dataDir } = this.deps;
    const identity = await dataDir.readIdentity();
    if (!identity) throw new AgentError(`${dataDir.root} holds no identity; run edgefleet-agent enroll first`);
    if (identity.status !== 'accepted') {
      throw new AgentError(`device ${identity.deviceId} is ${identity.status}; finish edgefleet-agent enroll first`);
    }
    const [keyPem, certPem, caPem] = await Promise.all([
      dataDir.require('key'),
      dataDir.require('cert'),
      dataDir.require('ca'),
    ]);
    if (!keyMatchesCertificate(keyPem, certPem)) {
      throw new AgentError(`${dataDir.path('key')} does not match ${dataDir.path('cert')}`);
    }
    return { identity, creds: { deviceId: identity.deviceId, keyPem, certPem, caPem } };
  }

  private async setState(patch: Partial<AgentState>): Promise<void> {
    const now = this.deps.clock.now().toISOString();
    const changed = patch.connection !== undefined && patch.connection !== this.state.connection;
    this.state = { ...this.state, ...patch, updatedAt: now, ...(changed ? { since: now } : {}) };
    if (patch.connection === 'connected') delete this.state.lastError;
    await this.deps.dataDir.writeState(this.state);
  }
}
