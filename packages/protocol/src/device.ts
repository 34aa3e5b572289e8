import { z } from 'zod';

/**
 * Device ↔ gateway contract, version 1. The agent, the gateway and the CLI all validate with
 * these schemas; bodies are JSON over the gateway's HTTPS port (8443) and MQTT over TLS (8883).
 */
export const PROTOCOL_VERSION = 1;
/** Largest enrollment body the gateway reads; anything bigger is refused before parsing. */
export const MAX_ENROLL_BODY_BYTES = 64 * 1024;

const short = (max: number) => z.string().trim().min(1).max(max);

/** A device's enrollment status, in the order the database enum declares (and sorts) them. */
export const DEVICE_STATUSES = ['pending', 'accepted', 'rejected', 'revoked', 'decommissioned'] as const;
export const ZDeviceStatus = z.enum(DEVICE_STATUSES);
export type TDeviceStatus = z.infer<typeof ZDeviceStatus>;

export const ZAccelerator = z.object({
  /** cuda | tensorrt | openvino | coreml | edgetpu | npu | … */
  kind: short(32),
  name: short(200),
  memoryBytes: z.number().int().nonnegative().optional(),
});

export const ZDeviceFacts = z.object({
  hostname: short(253),
  os: short(100),
  osVersion: z.string().max(100).optional(),
  arch: short(32),
  cpu: z.object({ model: z.string().max(200), cores: z.number().int().min(1).max(4096) }),
  memoryBytes: z.number().int().nonnegative(),
  accelerators: z.array(ZAccelerator).max(32),
  /** Inference backends the agent can load, e.g. onnxruntime-node, onnxruntime-web. */
  backends: z.array(short(64)).max(32),
  agentVersion: short(64),
  /** Identifiers an operator can pre-authorize. */
  serialNumber: z.string().trim().max(128).optional(),
  hardwareId: z.string().trim().max(128).optional(),
});
export type TDeviceFacts = z.infer<typeof ZDeviceFacts>;

/** POST /v1/enroll */
export const ZEnrollRequest = z.object({
  v: z.literal(PROTOCOL_VERSION),
  token: short(200),
  /** PKCS#10 CSR, PEM, made on the device with its own private key. */
  csr: short(16_384),
  facts: ZDeviceFacts,
});
export type TEnrollRequest = z.infer<typeof ZEnrollRequest>;

/** POST /v1/enroll/poll: a pending device asks whether it was approved. */
export const ZEnrollPollRequest = z.object({
  v: z.literal(PROTOCOL_VERSION),
  deviceId: short(64),
  pollSecret: short(200),
});
export type TEnrollPollRequest = z.infer<typeof ZEnrollPollRequest>;

export const ZIssuedCertificate = z.object({
  /** The device certificate, PEM; its CN is the device id. */
  certificate: z.string(),
  /** Issuing CA then root CA, PEM: what the device trusts for the gateway. */
  caChain: z.string(),
  notAfter: z.string(),
});

/** Where the device's MQTT connection goes (same host as the gateway's HTTPS); absent from older gateways. */
/** Where the device's MQTT connection goes; `host` only when it is not the gateway's host (an external broker). */
const ZMqttEndpoint = z.object({
  port: z.number().int().min(1).max(65_535),
  host: z.string().min(1).max(253).optional(),
});

export const ZEnrollResponse = z.discriminatedUnion('status', [
  ZIssuedCertificate.extend({ status: z.literal('accepted'), deviceId: z.string(), mqtt: ZMqttEndpoint.optional() }),
  z.object({
    status: z.literal('pending'),
    deviceId: z.string(),
    mqtt: ZMqttEndpoint.optional(),
    /** One-time secret for /v1/enroll/poll; only returned by /v1/enroll. */
    pollSecret: z.string().optional(),
    retryAfterSeconds: z.number().int().positive(),
  }),
  z.object({ status: z.literal('rejected'), deviceId: z.string(), reason: z.string() }),
]);
export type TEnrollResponse = z.infer<typeof ZEnrollResponse>;

/** POST /v1/certificate/renew over mTLS: the current certificate proves who is asking. */
export const ZRenewRequest = z.object({ v: z.literal(PROTOCOL_VERSION), csr: short(16_384) });
export const ZRenewResponse = ZIssuedCertificate;
export type TRenewResponse = z.infer<typeof ZRenewResponse>;

/** Every gateway error body. */
export const ZErrorBody = z.object({ error: z.string(), message: z.string() });
export type TErrorBody = z.infer<typeof ZErrorBody>;

// ---- MQTT ----

export const TOPIC_ROOT = 'edgefleet/devices';
/** A device may publish and subscribe only below its own namespace. */
export const deviceNamespace = (deviceId: string) => `${TOPIC_ROOT}/${deviceId}/`;
export const topics = {
  heartbeat: (id: string) => `${TOPIC_ROOT}/${id}/heartbeat`,
  events: (id: string) => `${TOPIC_ROOT}/${id}/events`,
  telemetry: (id: string) => `${TOPIC_ROOT}/${id}/telemetry`,
  state: (id: string) => `${TOPIC_ROOT}/${id}/state`,
  desired: (id: string) => `${TOPIC_ROOT}/${id}/desired`,
  /** Diagnostics requests for the device (gateway → device, retained). */
  diagnostics: (id: string) => `${TOPIC_ROOT}/${id}/diagnostics`,
  /** The agent's last will: `{ v: 1, online: false }` when its connection dies uncleanly. */
  status: (id: string) => `${TOPIC_ROOT}/${id}/status`,
};

export const ZHeartbeat = z.object({
  v: z.literal(PROTOCOL_VERSION),
  ts: z.iso.datetime(),
  uptimeSeconds: z.number().nonnegative(),
  agentVersion: short(64),
  certificateNotAfter: z.iso.datetime().optional(),
});
export type THeartbeat = z.infer<typeof ZHeartbeat>;
