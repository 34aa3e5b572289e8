import { PROTOCOL_VERSION, type THeartbeat, topics } from '@edgefleet/protocol/device';
import type { TDeviceStatus } from '@edgefleet/protocol/health';
import { MAX_STATE_REPORT_BYTES, type TStateReport, ZDesiredNotice } from '@edgefleet/protocol/rollout';
import { Backoff, type BackoffPolicy } from './backoff.ts';
import { certificateInfo, keyMatchesCertificate } from './certs.ts';
import type { AgentState, DataDir, Identity } from './data-dir.ts';
import type { AgentDiagnostics } from './diagnostics/service.ts';
import { formatDuration } from './duration.ts';
import { AgentError, errorMessage } from './errors.ts';
import { AGENT_VERSION } from './facts.ts';
import type { InstallService } from './install/service.ts';
import type { DeviceLink, LinkFactory } from './mqtt-link.ts';
import { type Credentials, recoverRenewal, renewalDue, renewCertificate } from './renew.ts';
import { abortable, type Clock, isAbort, type Log, withTimeout } from './runtime.ts';
import type { AgentTelemetry } from './telemetry/reporter.ts';

const statusMessage = (online: boolean) => JSON.stringify({ v: PROTOCOL_VERSION, online } satisfies TDeviceStatus);

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
  /** Model installs: refreshed on each connect and doorbell, its state reports published while connected. */
  installer?: InstallService;
  /** Telemetry and events: sampled and queued beside the connection, delivered while connected. */
  telemetry?: AgentTelemetry;
  /** Diagnostics requests: the doorbell subscribed and pending requests asked for on each connect. */
  diagnostics?: AgentDiagnostics;
}

type SessionEnd = { kind: 'interrupted'; error: Error } | { kind: 'renew' } | { kind: 'stopped' };

/**
 * `edgefleet-agent run`: keeps one mTLS MQTT connection up and heartbeats over it. A single loop
 * (connect → session → back off → reconnect) so there is exactly one connection and one writer
 * of state.json; renewal happens between sessions, with the new credentials used at once. The
 * installer runs beside it, connected or not: a connection only brings doorbells and carries
 * state reports.
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
    // Models keep serving (and installs go on) whatever happens to the connection; they stop with the agent.
    const installs = new AbortController();
    const stopInstalls = () => installs.abort();
    signal.addEventListener('abort', stopInstalls, { once: true });
    const installing = this.deps.installer
      ?.run(installs.signal)
      .catch((e) => log(`model installs stopped: ${errorMessage(e)}`));
    const reporting = this.deps.telemetry?.run(signal).catch((e) => log(`telemetry stopped: ${errorMessage(e)}`));
    try {
      await this.connectionLoop(signal);
    } finally {
      signal.removeEventListener('abort', stopInstalls);
      installs.abort();
      await installing;
      await reporting;
    }
    await this.setState({ connection: 'stopped' });
    log('stopped');
  }

  private async connectionLoop(signal: AbortSignal): Promise<void> {
    const { log } = this.deps;
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
      let detach: (() => void) | undefined;
      let detachTelemetry: ((end: SessionEnd) => Promise<void>) | undefined;
      let detachDiagnostics: (() => void) | undefined;
      try {
        await abortable(link.connect(), signal);
        connected = true;
        log(`connected to mqtts://${identity.mqtt.host}:${port} as ${identity.deviceId}`);
        await this.setState({ connection: 'connected', lastConnectedAt: this.deps.clock.now().toISOString() });
        detach = await this.attachInstaller(link, identity);
        detachTelemetry = this.deps.telemetry?.attach(link, `mqtts://${identity.mqtt.host}:${port}`);
        detachDiagnostics = await this.deps.diagnostics?.attach(link, identity);
        end = await this.session(link, identity, signal);
      } catch (e) {
        end = isAbort(e) ? { kind: 'stopped' } : { kind: 'interrupted', error: e as Error };
      }
      detach?.();
      detachDiagnostics?.();
      // Before disconnecting: on a clean stop it delivers agent_stopped (briefly) over this link.
      await detachTelemetry?.(end);
      // A clean stop sends no last will; saying goodbye lets a gateway behind an external broker
      // (which sees no connections, only messages) mark the device offline at once.
      if (connected && end.kind === 'stopped') {
        await withTimeout(link.publish(topics.status(identity.deviceId), statusMessage(false)), 2000).catch(() => {});
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
  }

  /**
   * Subscribes to the desired-state doorbell, refreshes at once (whatever happened while offline),
   * and publishes the installer's full state report now and on every change while connected.
   * Returns the detach for when the session ends.
   */
  private async attachInstaller(link: DeviceLink, identity: Identity): Promise<(() => void) | undefined> {
    const { installer, log } = this.deps;
    if (!installer) return undefined;
    await link.subscribe(topics.desired(identity.deviceId), (payload) => {
      let notice: unknown;
      try {
        notice = JSON.parse(payload);
      } catch {}
      const parsed = ZDesiredNotice.safeParse(notice);
      if (!parsed.success) return log(`ignored a malformed desired-state notice: ${payload.slice(0, 100)}`);
      // The retained notice of an instruction already accepted rings on every connect: nothing to do.
      if (parsed.data.instructionVersion > installer.instructionVersion) installer.refreshSoon();
    });
    installer.refreshSoon();
    const publish = this.statePublisher(link, topics.state(identity.deviceId));
    publish(installer.report());
    return installer.onReport(publish);
  }

  /** Publishes the latest report, one at a time: a report superseded while another is in flight is skipped (each is a full snapshot). */
  private statePublisher(link: DeviceLink, topic: string): (report: TStateReport) => void {
    let pending: TStateReport | null = null;
    let busy = false;
    const pump = async () => {
      busy = true;
      while (pending) {
        const report = pending;
        pending = null;
        let payload = JSON.stringify(report);
        if (Buffer.byteLength(payload) > MAX_STATE_REPORT_BYTES) {
          payload = JSON.stringify({ ...report, models: report.models.map(({ stats, shadow, ...m }) => m) });
        }
        try {
          await withTimeout(link.publish(topic, payload), 10_000);
        } catch (e) {
          this.deps.log(`state report not delivered (the next connect sends a fresh one): ${errorMessage(e)}`);
        }
      }
      busy = false;
    };
    return (report) => {
      pending = report;
      if (!busy) void pump();
    };
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
      let announced = false;
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
          if (!announced) {
            // Online, for a gateway behind an external broker (the embedded one sees the connect).
            announced = true;
            await withTimeout(link.publish(topics.status(identity.deviceId), statusMessage(true)), 10_000);
          }
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
