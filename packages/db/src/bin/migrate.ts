// `npm run db:migrate`: applies pending migrations to DATABASE_URL, or to the embedded database
// in EDGEFLEET_DATA_DIR (default <repo>/.edgefleet) when no URL is set.
import { join } from 'node:path';
import { startEmbeddedDatabase } from '../embedded.ts';
import { migrateDatabase, repoRoot } from '../migrate.ts';

async function main(): Promise<void> {
  const embedded = process.env.DATABASE_URL
    ? undefined
    : await startEmbeddedDatabase({ dataDir: process.env.EDGEFLEET_DATA_DIR ?? join(repoRoot, '.edgefleet') });
  const url = process.env.DATABASE_URL ?? embedded?.url ?? '';
  try {
    const { applied } = await migrateDatabase({ url });
    if (applied.length === 0) console.log('database is up to date');
    for (const name of applied) console.log(`applied ${name}`);
  } finally {
    await embedded?.close();
  }
}

try {
  await main();
} catch (error) {
  // Engine errors carry a Rust backtrace after the first line; the reason is the first line.
  const message = error instanceof Error ? error.message : String(error);
  console.error(`db:migrate failed: ${message.split('\n')[0]}`);
  process.exit(1);
}
