import type { Db } from '@edgefleet/db/client';
import { ZHeartbeat } from '@edgefleet/protocol/device';
import { type TDeviceStatus, ZDeviceStatus } from '@edgefleet/protocol/health';
import { type Log, Presence } from './presence.ts';
import { StateIngest } from './state-ingest.ts';
import { type IngestTuning, type IngestWriter, TelemetryIngest } from './telemetry-ingest.ts';

export type DeviceStream = 'telemetry' | 'events' | 'state' | 'heartbeat' | 'status';

function parseJson(payload: Buffer | string): unknown {
  try {
    return JSON.parse(payload.toString());
  } catch {
    return undefined;
  }
}

/** The agent's `status` message (its last will, or its goodbye on a clean stop), or null if malformed. */
export function parseStatus(payload: Buffer | string): TDeviceStatus | null {
  const status = ZDeviceStatus.safeParse(parseJson(payload));
  return status.success ? status.data : null;
}

/**
 * Where a device's report goes once its topic has named the device: heartbeats to presence,
 * state reports to the rollout engine, telemetry and events to the batched ingest, status to
 * presence. Nothing a device sends throws out of here; malformed messages are logged.
 */
export class DeviceMessages {
  constructor(
    private readonly deps: { presence: Presence; stateIngest: StateIngest; ingest: TelemetryIngest; log: Log },
  ) {}

  heartbeat(deviceId: string, payload: Buffer | string): void {
    if (ZHeartbeat.safeParse(parseJson(payload)).success) this.deps.presence.heartbeat(deviceId);
    else this.deps.log(`malformed heartbeat from ${deviceId}`);
  }

  receive(deviceId: string, stream: DeviceStream, payload: Buffer): void {
    const { presence, stateIngest, ingest, log } = this.deps;
    switch (stream) {
      case 'heartbeat':
        this.heartbeat(deviceId, payload);
        return;
      case 'state':
        stateIngest.receive(deviceId, payload);
        return;
      case 'telemetry':
      case 'events':
        // QoS 0 (nothing to hold back): stored if valid, like any other.
        ingest.accept(deviceId, stream, payload, () => {});
        return;
      case 'status': {
        const status = parseStatus(payload);
        if (!status) {
          log(`malformed status from ${deviceId}`);
          return;
        }
        presence.connection(deviceId, status.online);
        ingest.controlEvent({
          deviceId,
          seq: null,
          ts: new Date(),
          source: 'gateway',
          kind: status.online ? 'connected' : 'disconnected',
          severity: 'info',
          message: status.online ? 'connected to the broker' : 'disconnected from the broker',
        });
      }
    }
  }
}

export interface DeviceSinkOptions {
  db: Db;
  log: Log;
  presenceFlushMs?: number;
  /** Telemetry ingest limits (buffer, hold queue, batch, per-device rate). */
  ingest?: IngestTuning;
  /** Publish-arrival → commit latency (ms) of each telemetry/event message in a committed batch. */
  onIngestCommitted?: (lagsMs: number[]) => void;
  /** Test seam: the batch writers (default: core's writeTelemetryBatch / writeDeviceEvents). */
  ingestWriter?: IngestWriter;
}

/** Where device reports end up, the same whichever broker carries them (embedded or external). */
export function createDeviceSinks(opts: DeviceSinkOptions) {
  const { db, log } = opts;
  const presence = new Presence(db, log, opts.presenceFlushMs);
  const stateIngest = new StateIngest(db, log);
  const ingest = new TelemetryIngest({
    db,
    log,
    onCommitted: opts.onIngestCommitted,
    writer: opts.ingestWriter,
    ...opts.ingest,
  });
  const messages = new DeviceMessages({ presence, stateIngest, ingest, log });
  return {
    presence,
    stateIngest,
    ingest,
    messages,
    /** Writes what is still buffered (presence, state reports, telemetry) and stops. */
    close: async () => {
      await Promise.all([presence.close(), stateIngest.close(), ingest.close()]);
    },
  };
}
