import { topics } from '@edgefleet/protocol/device';
import { type TDiagnosticsBundle, ZDiagnosticsNotice } from '@edgefleet/protocol/health';
import { z } from 'zod';
import type { DataDir, Identity } from '../data-dir.ts';
import { errorMessage } from '../errors.ts';
import { GatewayClient, GatewayError } from '../gateway-client.ts';
import type { DeviceLink } from '../mqtt-link.ts';
import type { Log } from '../runtime.ts';

/** What the Agent drives: listen while connected, and answer what is asked. */
export interface AgentDiagnostics {
  /** The connection is up: subscribe to the doorbell and ask for pending requests; returns the detach. */
  attach(link: DeviceLink, identity: Identity): Promise<() => void>;
}

export interface DiagnosticsServiceDeps {
  dataDir: DataDir;
  collect: () => Promise<TDiagnosticsBundle>;
  log: Log;
  /** After a failed upload (gateway unreachable, 5xx), try again this much later while connected (default 10 s). */
  retryMs?: number;
}

/** Request ids remembered as answered; the gateway refuses a second answer anyway (409). */
const REMEMBERED = 200;

/**
 * Answers diagnostics requests, each once. Requests arrive two ways: the retained notice on
 * `…/diagnostics` (rung within a second of an operator's request, and waiting for a device that
 * was offline) and `GET /v1/diagnostics/pending`, asked on every (re)connect. Both feed one queue
 * worked one request at a time; the bundle goes up over HTTPS with the device certificate.
 */
export class DiagnosticsService implements AgentDiagnostics {
  private readonly answered: string[] = [];
  private readonly queue: string[] = [];
  private identity: Identity | null = null;
  private working = false;
  private attached = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: DiagnosticsServiceDeps) {}

  async attach(link: DeviceLink, identity: Identity): Promise<() => void> {
    this.identity = identity;
    const session = ++this.attached;
    await link.subscribe(topics.diagnostics(identity.deviceId), (payload) => {
      let json: unknown;
      try {
        json = JSON.parse(payload);
      } catch {}
      const notice = ZDiagnosticsNotice.safeParse(json);
      if (!notice.success) return this.deps.log(`ignored a malformed diagnostics notice: ${payload.slice(0, 100)}`);
      this.enqueue(notice.data.requestIds);
    });
    void this.askPending();
    return () => {
      if (this.attached === session) this.attached = 0;
      clearTimeout(this.retryTimer);
    };
  }

  /** Requests answered (or refused as settled) by this agent, most recent last. */
  answeredIds(): readonly string[] {
    return this.answered;
  }

  private async askPending(): Promise<void> {
    try {
      const text = await (await this.client()).getText('/v1/diagnostics/pending');
      this.enqueue(ZDiagnosticsNotice.parse(JSON.parse(text)).requestIds);
    } catch (e) {
      this.deps.log(`diagnostics: cannot ask for pending requests: ${errorMessage(e)}`);
    }
  }

  private enqueue(ids: readonly string[]): void {
    for (const id of ids) {
      if (!this.answered.includes(id) && !this.queue.includes(id)) this.queue.push(id);
    }
    void this.work();
  }

  private async work(): Promise<void> {
    if (this.working) return;
    this.working = true;
    try {
      for (let id = this.queue[0]; id !== undefined; id = this.queue[0]) {
        const done = await this.answer(id);
        this.queue.shift();
        if (!done) return this.retryLater(id);
        this.answered.push(id);
        if (this.answered.length > REMEMBERED) this.answered.shift();
      }
    } finally {
      this.working = false;
    }
  }

  /** True once the request needs nothing more from us: uploaded, or settled at the gateway. */
  private async answer(id: string): Promise<boolean> {
    const { log } = this.deps;
    try {
      const bundle = await this.deps.collect();
      const client = await this.client();
      await client.postJson(`/v1/diagnostics/${encodeURIComponent(id)}`, bundle, z.unknown());
      log(`diagnostics bundle for ${id} uploaded (${bundle.logTail.length} log lines)`);
      return true;
    } catch (e) {
      if (e instanceof GatewayError && !e.retryable) {
        // Answered already, expired, not ours, or a bundle the gateway will never take: asking again cannot help.
        log(`diagnostics request ${id} not answered: ${errorMessage(e)}`);
        return true;
      }
      log(`diagnostics bundle for ${id} not uploaded (retrying): ${errorMessage(e)}`);
      return false;
    }
  }

  private retryLater(id: string): void {
    if (!this.attached) return; // the next connect asks for pending requests again
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.enqueue([id]), this.deps.retryMs ?? 10_000);
    this.retryTimer.unref();
  }

  /** Read at each use, so a renewed certificate is used at once. */
  private async client(): Promise<GatewayClient> {
    const { dataDir } = this.deps;
    const identity = this.identity ?? (await dataDir.readIdentity());
    if (!identity) throw new Error('no identity');
    const [ca, cert, key] = await Promise.all([dataDir.require('ca'), dataDir.require('cert'), dataDir.require('key')]);
    return new GatewayClient(new URL(identity.server), { ca, cert, key });
  }
}
