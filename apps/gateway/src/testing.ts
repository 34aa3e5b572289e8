// Test helper: a gateway as the integration tests run it, on loopback with ephemeral ports.
import type { FleetPki } from '@edgefleet/core/pki';
import type { Db } from '@edgefleet/db/client';
import { type Gateway, type GatewayOptions, startGateway } from './server.ts';

/**
 * Starts a gateway for `db` and `pki` on 127.0.0.1, device and MQTT ports chosen by the OS
 * (read them back from the result), with a readiness probe that always passes. `overrides`
 * adds or replaces any option (engine, health jobs, log, hooks).
 */
export function startTestGateway(db: Db, pki: FleetPki, overrides: Partial<GatewayOptions> = {}): Promise<Gateway> {
  return startGateway({
    db,
    pki,
    bind: '127.0.0.1',
    devicePort: 0,
    mqttPort: 0,
    checkDatabase: async () => {},
    ...overrides,
  });
}
