// Test helper: a device's MQTT connection made the way the agent makes it (aws-iot-device-sdk-v2, MQTT 3.1.1, mTLS).
import { iot, mqtt } from 'aws-iot-device-sdk-v2';

export interface DeviceConnectionOptions {
  port: number;
  caChainPem: string;
  certPem: string;
  keyPem: string;
  clientId: string;
}

export function newDeviceConnection(o: DeviceConnectionOptions): mqtt.MqttClientConnection {
  const config = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder(o.certPem, o.keyPem)
    .with_certificate_authority(o.caChainPem)
    .with_endpoint('127.0.0.1')
    .with_port(o.port)
    .with_client_id(o.clientId)
    .with_clean_session(true)
    .with_keep_alive_seconds(30)
    .with_timeout_ms(5000)
    // Long reconnect backoff: a test that sees a connection cut must not race an automatic reconnect.
    .with_reconnect_min_sec(1)
    .with_reconnect_max_sec(1)
    .build();
  return new mqtt.MqttClient().new_connection(config);
}

/** Connects, resolving to 'connected' or the error's text (refused connects reject in aws-crt). */
export async function tryConnect(connection: mqtt.MqttClientConnection): Promise<string> {
  try {
    await connection.connect();
    return 'connected';
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** Resolves when an established connection is lost (the broker closed it). */
export const interrupted = (connection: mqtt.MqttClientConnection) =>
  new Promise<string>((resolve) => connection.once('interrupt', (e) => resolve(String(e))));

export async function closeQuietly(connection: mqtt.MqttClientConnection): Promise<void> {
  await connection.disconnect().catch(() => {});
}
