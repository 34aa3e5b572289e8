// Generates the Prisma client at install time without downloading anything.
// Prisma's CLI tries to fetch its native schema engine before `generate`, which never uses it;
// pointing PRISMA_SCHEMA_ENGINE_BINARY at any existing file skips that download (see DESIGN.md).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
let prismaCli;
try {
  prismaCli = require.resolve('prisma/build/index.js', { paths: [root] });
} catch {
  console.log('[edgefleet] prisma not installed yet; skipping client generation');
  process.exit(0);
}
if (!existsSync(`${root}/prisma/schema.prisma`)) process.exit(0);
const result = spawnSync(process.execPath, [prismaCli, 'generate', '--schema', 'prisma/schema.prisma'], {
  cwd: root,
  stdio: ['ignore', 'inherit', 'inherit'],
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    CHECKPOINT_DISABLE: '1',
  },
});
process.exit(result.status ?? 1);
