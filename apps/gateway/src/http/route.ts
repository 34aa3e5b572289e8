import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EnrollDeps } from '@edgefleet/core/identity/enroll';
import type { ArtifactStore } from '@edgefleet/core/registry/artifact-store';
import type { DirectorKey } from '@edgefleet/core/rollouts/director-key';
import type { RateRule } from './rate-limit.ts';

export interface DeviceHttpDeps extends EnrollDeps {
  /** Per-address request limits by route; defaults to DEFAULT_RATE_RULES. */
  rateRules?: Record<string, RateRule>;
  /** Signs each device's TUF repository (`/v1/tuf/…`); without it those routes answer 503. */
  director?: DirectorKey | undefined;
  /** Model artifact bytes (`/v1/artifacts/…`); without it that route answers 503. */
  artifacts?: ArtifactStore | undefined;
  /** The MQTT port devices connect to, told to them at enrollment (else they assume 8883). */
  mqttPort?: number | undefined;
  /** The MQTT host devices are told to use, when it is not the gateway's own (an external broker). */
  mqttHost?: string | undefined;
}

export interface RouteContext {
  ip: string | null;
  /** What follows a prefix route's prefix, still URL-encoded ('' for exact routes). */
  param: string;
}

export type Handler = (
  deps: DeviceHttpDeps,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RouteContext,
) => Promise<void>;

export interface Route {
  method: 'GET' | 'POST';
  /** Audit action for refusals the HTTP layer makes itself (body too large, not JSON, no certificate). */
  action: string;
  handle: Handler;
}
