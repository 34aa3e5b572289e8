/**
 * What the gateway needs from the broker devices connect to. The embedded Aedes broker
 * implements it; an external broker (Mosquitto/EMQX trusting the same CA, or AWS IoT Core)
 * can stand in behind the same interface, with its own ACLs doing the topic checks.
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
