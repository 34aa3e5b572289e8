import type { TStateReport } from '@edgefleet/protocol/rollout';
import { Backoff, type BackoffPolicy } from '../backoff.ts';
import type { DataDir, Identity } from '../data-dir.ts';
import { formatDuration } from '../duration.ts';
import { errorMessage } from '../errors.ts';
import type { Clock, Log } from '../runtime.ts';
import { dataDirTls } from './https.ts';
import type { VerifiedInstruction } from './instruction.ts';
import type { ModelRuntime } from './model-runtime.ts';
import type { UpdateLock } from './plan.ts';
import { Reconciler, type ReconcilerDeps } from './reconciler.ts';
import { SlotStore } from './slots.ts';
import { hasTrustedRoot, saveTrustedRoot, TufClient } from './tuf-client.ts';

/** What the Agent drives: refresh on connect and on each doorbell, and state reports to publish. */
export interface InstallService {
  run(signal: AbortSignal): Promise<void>;
  /** Refresh the instruction now (a (re)connect, a doorbell). */
  refreshSoon(): void;
  report(): TStateReport;
  onReport(listener: (report: TStateReport) => void): () => void;
  /** The last instruction version accepted (0: none). */
  readonly instructionVersion: number;
}

export interface InstallerDeps {
  reconciler: Reconciler;
  /** Verifies and returns the device's current instruction (TufClient.refresh). */
  refresh: () => Promise<VerifiedInstruction>;
  /** Makes sure the TUF trust anchor is on disk before a refresh. */
  ensureRoot?: () => Promise<void>;
  clock: Clock;
  log: Log;
  random?: () => number;
  /** Refresh this often even without a doorbell (default 5 min). */
  refreshIntervalMs?: number;
  /** Between refreshes after one failed (default 10 s … the interval). */
  retry?: BackoffPolicy;
}

/**
 * Keeps the reconciler fed with verified instructions: refreshes on start, when asked (connect,
 * doorbell) and on a timer. A refresh that fails (offline, expired, replayed, not for this device)
 * changes nothing: the models keep serving and the reconciler works from the last verified one.
 */
export class Installer implements InstallService {
  private kick: (() => void) | null = null;
  private kicked = false;
  private started = false;
  private lastRefresh: { at: Date; error?: string } | null = null;

  constructor(private readonly deps: InstallerDeps) {}

  get instructionVersion(): number {
    return this.deps.reconciler.instructionVersion;
  }

  report = () => this.deps.reconciler.report();
  onReport = (listener: (report: TStateReport) => void) => this.deps.reconciler.onReport(listener);

  /** For /v2/health/ready: installed models are loaded; a control plane out of reach does not make it unready. */
  health(): { ok: boolean; detail: string } {
    const r = this.lastRefresh;
    const refresh = r ? `last refresh ${r.at.toISOString()}${r.error ? ` failed: ${r.error}` : ''}` : 'no refresh yet';
    return {
      ok: this.started,
      detail: `${this.started ? '' : 'loading installed models; '}instruction ${this.instructionVersion}; ${refresh}`,
    };
  }

  refreshSoon(): void {
    this.kicked = true;
    this.kick?.();
  }

  async run(signal: AbortSignal): Promise<void> {
    const { reconciler, log } = this.deps;
    await reconciler.start();
    this.started = true;
    const loop = reconciler.run(signal);
    const interval = this.deps.refreshIntervalMs ?? 5 * 60_000;
    const backoff = new Backoff(
      this.deps.retry ?? { initialMs: 10_000, maxMs: interval, jitter: 0.3 },
      this.deps.random,
    );
    try {
      while (!signal.aborted) {
        this.kicked = false;
        let wait = interval;
        try {
          await this.deps.ensureRoot?.();
          await reconciler.accept(await this.deps.refresh());
          this.lastRefresh = { at: this.deps.clock.now() };
          backoff.reset();
        } catch (e) {
          if (signal.aborted) break;
          this.lastRefresh = { at: this.deps.clock.now(), error: errorMessage(e) };
          wait = Math.min(backoff.next(), interval);
          const kept = reconciler.instructionVersion;
          log(
            `${errorMessage(e)}; ${kept ? `keeping instruction ${kept}` : 'no instruction yet'}, ` +
              `next refresh in ${formatDuration(wait)}`,
          );
        }
        await this.pause(signal, wait);
      }
    } finally {
      await loop;
      await reconciler.stop();
      this.started = false;
    }
  }

  private pause(signal: AbortSignal, ms: number): Promise<void> {
    if (this.kicked || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.kick = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.kick = done;
    });
  }
}

/** The installer of an enrolled device: its TUF client, slots under the data dir, the model runtime. */
export function createInstaller(opts: {
  dataDir: DataDir;
  identity: Identity;
  runtime: ModelRuntime;
  locks?: () => readonly UpdateLock[];
  clock: Clock;
  log: Log;
  random?: () => number;
  reconciler?: Partial<ReconcilerDeps>;
  refreshIntervalMs?: number;
}): Installer {
  const { dataDir, identity, clock, log } = opts;
  const server = new URL(identity.server);
  const tls = dataDirTls(dataDir);
  const tuf = new TufClient({ dataRoot: dataDir.root, server, deviceId: identity.deviceId, tls });
  const reconciler = new Reconciler({
    store: new SlotStore(dataDir.root),
    runtime: opts.runtime,
    server,
    tls,
    clock,
    log,
    locks: opts.locks,
    random: opts.random,
    ...opts.reconciler,
  });
  return new Installer({
    reconciler,
    refresh: () => tuf.refresh(),
    ensureRoot: async () => {
      if (await hasTrustedRoot(dataDir.root)) return;
      await saveTrustedRoot(dataDir.root, server, tls);
      log(`saved the TUF root of ${server.host} to ${tuf.metadataDir}/root.json`);
    },
    clock,
    log,
    random: opts.random,
    refreshIntervalMs: opts.refreshIntervalMs,
  });
}
