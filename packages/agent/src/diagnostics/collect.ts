import { statfs } from 'node:fs/promises';
import os from 'node:os';
import { PROTOCOL_VERSION } from '@edgefleet/protocol/device';
import { MAX_DIAGNOSTICS_BYTES, type TDiagnosticsBundle, ZDiagnosticsBundle } from '@edgefleet/protocol/health';
import type { TStateReport } from '@edgefleet/protocol/rollout';
import type { DataDir } from '../data-dir.ts';
import { errorMessage } from '../errors.ts';
import { AGENT_VERSION, collectFacts, type SystemProbe, systemProbe } from '../facts.ts';
import type { ServedModel } from '../inference/model-server.ts';
import { SlotStore } from '../install/slots.ts';
import type { Clock } from '../runtime.ts';
import type { LogRing } from './log-ring.ts';
import { redactor } from './redact.ts';

/** What a bundle is made of; every part but the log is optional (a test agent has no models). */
export interface CollectDeps {
  dataDir: DataDir;
  logs: LogRing;
  clock: Pick<Clock, 'now'>;
  /** The agent's effective settings (its run options); secrets in it are redacted here. */
  config?: Record<string, unknown>;
  installer?: { report(): TStateReport };
  /** What the inference runtime serves now. */
  serving?: () => ServedModel[];
  /** Backends known to load on this box. */
  backends?: () => Promise<string[]>;
  telemetryQueue?: () => { depth: number; dropped: number };
  probe?: SystemProbe;
}

/** Room left under the gateway's limit for what JSON escaping and the rest of the bundle add. */
const SIZE_MARGIN = 64 * 1024;

/**
 * Collects a diagnostics bundle. Secrets never leave the device: the private keys and poll
 * secret from the data dir are blanked out wherever they appear (config, log, errors), values
 * under secret-looking names are replaced, and any PEM private key is removed. A section that
 * cannot be read says why instead of failing the bundle.
 */
export async function collectBundle(deps: CollectDeps): Promise<TDiagnosticsBundle> {
  const { dataDir } = deps;
  const identity = await dataDir.readIdentity().catch(() => null);
  const known = await Promise.all([dataDir.read('key'), dataDir.read('renewKey')]).catch(() => []);
  const redact = redactor([...known, identity?.pollSecret]);

  const config = {
    ...deps.config,
    dataDir: dataDir.root,
    identity: identity ?? null,
    agentVersion: AGENT_VERSION,
  };
  const bundle: TDiagnosticsBundle = redact({
    v: PROTOCOL_VERSION,
    collectedAt: deps.clock.now().toISOString(),
    agentVersion: AGENT_VERSION,
    logTail: deps.logs.lines(),
    config,
    models: await models(deps),
    recentErrors: deps.logs.errors(),
    system: await system(deps),
    ...(deps.telemetryQueue ? { telemetryQueue: deps.telemetryQueue() } : {}),
  });
  fitWithinLimit(bundle);
  return ZDiagnosticsBundle.parse(bundle);
}

async function models(deps: CollectDeps): Promise<Record<string, unknown>> {
  const report = deps.installer?.report();
  const installed = await new SlotStore(deps.dataDir.root).read().then(
    (state) => ({
      instructionVersion: state.instructionVersion,
      models: Object.fromEntries(
        Object.entries(state.models).map(([name, m]) => [
          name,
          {
            serving: m.serving ?? null,
            servingSince: m.servingSince ?? null,
            previous: m.previous ?? null,
            slots: Object.fromEntries(
              Object.entries(m.slots).map(([slot, c]) => [
                slot,
                c && {
                  version: c.version,
                  sha256: c.sha256,
                  length: c.length,
                  target: c.target,
                  installedAt: c.installedAt,
                },
              ]),
            ),
            install: m.install ?? null,
            failed: m.failed,
            restarts: m.restarts,
          },
        ]),
      ),
    }),
    (e: unknown) => ({ error: errorMessage(e) }),
  );
  return {
    installed,
    reported: report ? { instructionVersion: report.instructionVersion, models: report.models } : null,
    serving: (deps.serving?.() ?? []).map((s) => ({
      model: s.model,
      version: s.version,
      since: s.since.toISOString(),
      runtime: s.runtime,
      backend: s.backend,
      executionProvider: s.executionProvider,
      ...(s.shadow ? { shadow: s.shadow } : {}),
    })),
  };
}

async function system(deps: CollectDeps): Promise<Record<string, unknown>> {
  const backends = await deps.backends?.().catch(() => undefined);
  const facts = await collectFacts(backends ? { backends } : {}, deps.probe ?? systemProbe).catch((e: unknown) => ({
    error: errorMessage(e),
  }));
  const disk = await statfs(deps.dataDir.root).then(
    (s) => ({ path: deps.dataDir.root, totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize }),
    (e: unknown) => ({ path: deps.dataDir.root, error: errorMessage(e) }),
  );
  return {
    ...facts,
    node: process.version,
    pid: process.pid,
    processUptimeSeconds: Math.round(process.uptime()),
    systemUptimeSeconds: Math.round(os.uptime()),
    loadAverage: os.loadavg(),
    freeMemoryBytes: os.freemem(),
    processMemory: process.memoryUsage(),
    disk,
  };
}

/** The log tail goes first (oldest lines) if the bundle would pass the gateway's limit. */
function fitWithinLimit(bundle: TDiagnosticsBundle) {
  const limit = MAX_DIAGNOSTICS_BYTES - SIZE_MARGIN;
  let size = Buffer.byteLength(JSON.stringify(bundle));
  while (size > limit && bundle.logTail.length > 0) {
    const cut = Math.max(1, Math.ceil(bundle.logTail.length / 4));
    bundle.logTail.splice(0, cut);
    size = Buffer.byteLength(JSON.stringify(bundle));
  }
}
