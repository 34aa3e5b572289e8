import type { StateReportCounts } from './state-ingest.ts';
import type { IngestStats } from './telemetry-ingest.ts';

/**
 * What the gateway needs from the broker devices connect to. The embedded Aedes broker
 * implements it; an external broker (Mosquitto/EMQX trusting the same CA, or AWS IoT Core)
 * stands in behind the same interface (external-broker.ts), with its own ACLs doing the topic checks.
 */
export interface DeviceBroker {
  /** Stops accepting connections, closes live ones, and flushes presence to the database. */
  close(): Promise<void>;
  connectedDeviceIds(): string[];
  /** Closes a device's live connection, if any (revocation). */
  disconnect(deviceId: string): void;
  /**
   * Publishes as the control plane, QoS 1. A retained message is also handed to every client
   * that subscribes later (the `desired` doorbell reaches a device that was offline).
   */
  publish(topic: string, payload: string | Buffer, opts: { retain: boolean }): Promise<void>;
}

/** The broker as the gateway process runs it: embedded (Aedes) or a client of an external one. */
export interface GatewayBroker extends DeviceBroker {
  /** The MQTT port devices are told to use. */
  port: number;
  /** State reports handled since start, for health and tests. */
  stateReports(): StateReportCounts;
  /** Telemetry/event ingest counters and buffer state. */
  ingestStats(): IngestStats;
  /** True while ingest writes to the database are failing (messages wait in the buffer). */
  ingestDegraded(): boolean;
  /** Set for an external broker: where, as whom, and whether the gateway is connected now. */
  external?(): { url: string; clientId: string; group: string; connected: boolean; lastError: string | null };
}
