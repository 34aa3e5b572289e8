// Test helper: a device's MQTT connection with mqtt.js (MQTT 3.1.1, mTLS), for tests and load
// generators that need what aws-crt hides: when each PUBACK arrives, raw payloads, many clients.
import mqtt, { type MqttClient } from 'mqtt';

export interface MqttDeviceOptions {
  port: number;
  caChainPem: string;
  certPem: string;
  keyPem: string;
  clientId: string;
  will?: { topic: string; payload: string };
}

export async function connectMqttDevice(o: MqttDeviceOptions): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtts://127.0.0.1:${o.port}`, {
    clientId: o.clientId,
    protocolVersion: 4,
    clean: true,
    key: o.keyPem,
    cert: o.certPem,
    ca: o.caChainPem,
    // The gateway certificate names the fleet's public host; tests use `localhost`.
    servername: 'localhost',
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    keepalive: 60,
    will: o.will ? { topic: o.will.topic, payload: Buffer.from(o.will.payload), qos: 1, retain: false } : undefined,
  });
}

/** Resolves when the broker closes the connection. */
export const closedByBroker = (client: MqttClient) =>
  new Promise<void>((resolve) => client.once('close', () => resolve()));
