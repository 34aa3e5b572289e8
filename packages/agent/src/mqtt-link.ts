import { PROTOCOL_VERSION, topics } from '@edgefleet/protocol/device';
import type { TDeviceStatus } from '@edgefleet/protocol/health';
import { iot, mqtt } from 'aws-iot-device-sdk-v2';

export interface LinkParams {
  host: string;
  port: number;
  clientId: string;
  certPem: string;
  keyPem: string;
  caPem: string;
  keepAliveSeconds: number;
}

/**
 * One MQTT connection attempt with mTLS. The agent owns reconnection (backoff with jitter, and
 * new credentials after a renewal), so a link is used once: connect, publish, and on interruption
 * disconnect and make a new one. Behind this interface so another transport can replace it.
 */
export interface DeviceLink {
  connect(): Promise<void>;
  publish(topic: string, payload: string): Promise<void>;
  /** QoS 1; resolves once the broker acknowledged the subscription. Retained messages arrive too. */
  subscribe(topic: string, handler: (payload: string) => void): Promise<void>;
  /** Called once if an established connection drops. */
  onInterrupted(listener: (error: Error) => void): void;
  disconnect(): Promise<void>;
}

export type LinkFactory = (params: LinkParams) => DeviceLink;

const lastWill = JSON.stringify({ v: PROTOCOL_VERSION, online: false } satisfies TDeviceStatus);

/** MQTT 3.1.1 over TLS with aws-iot-device-sdk-v2 (aws-crt). */
export const awsIotLink: LinkFactory = (params) => {
  // aws-c-mqtt aborts the whole process (fatal assert) unless keep-alive > ping timeout.
  const keepAliveSeconds = Math.min(1200, Math.max(10, Math.round(params.keepAliveSeconds)));
  const pingTimeoutMs = Math.min(10_000, (keepAliveSeconds * 1000) / 2);
  const config = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder(params.certPem, params.keyPem)
    .with_certificate_authority(params.caPem)
    .with_endpoint(params.host)
    .with_port(params.port)
    .with_client_id(params.clientId)
    .with_clean_session(true)
    .with_keep_alive_seconds(keepAliveSeconds)
    .with_ping_timeout_ms(pingTimeoutMs)
    // The agent reconnects itself (with jitter, and new credentials after a renewal). The library
    // retries on its own after an interruption too, and disconnect() only completes at its next
    // retry, so that retry is kept short: one second.
    .with_reconnect_min_sec(1)
    .with_reconnect_max_sec(1)
    // The last will: if the connection dies without a DISCONNECT (power cut, network gone), the
    // broker publishes this for the device, and the gateway marks it offline at once instead of
    // waiting for missed heartbeats. The client id is the device id (the certificate's CN).
    .with_will(new mqtt.MqttWill(topics.status(params.clientId), mqtt.QoS.AtLeastOnce, lastWill))
    .build();
  const connection = new mqtt.MqttClient().new_connection(config);
  let interrupted: ((error: Error) => void) | undefined;
  let closed = false;
  let connected = false;
  let connecting: Promise<void> | undefined;
  connection.on('interrupt', (error) => {
    if (!closed) interrupted?.(new Error(error.message));
  });
  // Errors surface through connect()/publish() promises and 'interrupt'; an unhandled 'error' event would crash.
  connection.on('error', () => {});
  return {
    connect() {
      connecting = connection.connect().then(
        () => {
          connected = true;
        },
        (e: unknown) => {
          // aws-crt rejects with a string; and a connection that never opened is not freed by disconnect().
          closed = true;
          (connection as unknown as { close(): void }).close();
          throw e instanceof Error ? e : new Error(String(e));
        },
      );
      return connecting;
    },
    async publish(topic, payload) {
      try {
        await connection.publish(topic, payload, mqtt.QoS.AtLeastOnce);
      } catch (e) {
        throw e instanceof Error ? e : new Error(String(e));
      }
    },
    async subscribe(topic, handler) {
      try {
        await connection.subscribe(topic, mqtt.QoS.AtLeastOnce, (_topic, payload) => {
          // aws-crt hands a zero-length payload (a cleared retained message) as a detached buffer.
          handler(payload.byteLength === 0 ? '' : Buffer.from(payload).toString('utf8'));
        });
      } catch (e) {
        throw e instanceof Error ? e : new Error(String(e));
      }
    },
    onInterrupted(listener) {
      interrupted = listener;
    },
    async disconnect() {
      if (!connected && !closed && connecting) {
        // Mid-handshake (s2n can take 10-30 s to report a failed one): freeing it now is unsafe in
        // aws-crt, and waiting would delay a shutdown; it is closed once the attempt settles.
        void connecting.then(
          () => connection.disconnect().catch(() => {}),
          () => {},
        );
        closed = true;
        return;
      }
      if (closed) return;
      closed = true;
      if (!connected) return void (connection as unknown as { close(): void }).close();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        connection.disconnect().catch(() => {}),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, 5000);
        }),
      ]);
      clearTimeout(timer);
    },
  };
};
