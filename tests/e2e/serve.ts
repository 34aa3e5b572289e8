/**
 * The e2e control plane: `npm start` against an embedded database this script opens itself, so
 * tests can also reach that database (its URL is written to the data dir) and seed through core,
 * as each test must seed its own data (STYLE.md). Everything else is exactly `npm start`.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedDatabase } from '@edgefleet/db/embedded';
import { DATABASE_URL_FILE } from './db-url.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = process.env.EDGEFLEET_DATA_DIR;
if (!dataDir) throw new Error('EDGEFLEET_DATA_DIR is not set');

const db = await startEmbeddedDatabase({ dataDir });
writeFileSync(join(dataDir, DATABASE_URL_FILE), db.url);
const launcher = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts/start.ts')], {
  cwd: root,
  env: { ...process.env, DATABASE_URL: db.url },
  stdio: 'inherit',
});
const stop = () => {
  if (launcher.exitCode === null) launcher.kill('SIGTERM');
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
launcher.on('exit', (code) => {
  void db.close().finally(() => process.exit(code ?? 1));
});
