/**
 * One gateway replica in its own process for the replica benchmark: external-broker mode, the
 * per-device rate limit lifted (the load is a saturating generator, not a device). Reads its
 * settings from the JSON file named on the command line; prints "ready" once consuming, and
 * its ingest counters as one JSON line on SIGTERM before exiting.
 */
import { readFileSync } from 'node:fs';
import { loadOrCreateFleetPki } from '@edgefleet/core/pki';
import { createDb } from '@edgefleet/db/client';
import { startGateway } from '../../apps/gateway/src/server.ts';

export interface GatewayProcessConfig {
  databaseUrl: string;
  secret: string;
  mqttUrl: string;
  username: string;
  password: string;
  clientId: string;
}

const config = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as GatewayProcessConfig;
const db = createDb({ url: config.databaseUrl, maxConnections: 4 });
const pki = await loadOrCreateFleetPki(db, { secret: config.secret, publicHost: 'localhost' });
const gateway = await startGateway({
  db,
  pki,
  bind: '127.0.0.1',
  devicePort: 0,
  mqttPort: 0,
  checkDatabase: async () => {},
  log: (m) => process.stderr.write(`${m}\n`),
  externalBroker: {
    url: config.mqttUrl,
    username: config.username,
    password: config.password,
    clientId: config.clientId,
  },
  ingest: { ratePerSecond: 1e6, rateBurst: 1e6 },
});
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void gateway.close().then(async () => {
    process.stdout.write(`${JSON.stringify(gateway.ingestStats())}\n`);
    await db.$disconnect();
    process.exit(0);
  });
});
