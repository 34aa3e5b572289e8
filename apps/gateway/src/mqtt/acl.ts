import { deviceNamespace, topics } from '@edgefleet/protocol/device';

/** Characters that would let a client id reach outside its own topic level. */
const UNSAFE_ID = /[/+#\0]/;

/**
 * A device may publish and subscribe only below its own namespace `edgefleet/devices/{id}/`.
 * Wildcards are allowed in a subscription only after that prefix (so `…/{id}/#` is fine but
 * `edgefleet/devices/+/…` is not); a publish topic may hold none. The `desired` topic is the
 * control plane's to write, as is `diagnostics`: a device only reads them (else it could overwrite its own
 * retained doorbells).
 */
export function deviceTopicAllowed(deviceId: string, topic: string, op: 'publish' | 'subscribe'): boolean {
  if (!deviceId || UNSAFE_ID.test(deviceId)) return false;
  const prefix = deviceNamespace(deviceId);
  if (!topic.startsWith(prefix) || topic.length === prefix.length) return false;
  if (op === 'subscribe') return true;
  return !/[+#]/.test(topic) && topic !== topics.desired(deviceId) && topic !== topics.diagnostics(deviceId);
}
