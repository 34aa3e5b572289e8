import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const SKIP = new Set(['node_modules', '.next', 'generated', '.turbo', 'dist']);

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Why the dashboard needs (re)building, or null when the production build is current:
 * missing, or older than any source the web bundle compiles (the app and the workspace
 * packages it pulls in).
 */
export function webBuildStaleReason(root: string): string | null {
  const buildId = join(root, 'apps/web/.next/BUILD_ID');
  if (!existsSync(buildId)) return 'no production build yet';
  const builtAt = statSync(buildId).mtimeMs;
  const sources = [join(root, 'apps/web'), join(root, 'packages'), join(root, 'prisma/schema.prisma')];
  const newest = Math.max(
    ...sources.filter(existsSync).map((p) => (statSync(p).isDirectory() ? newestMtime(p) : statSync(p).mtimeMs)),
  );
  return newest > builtAt ? 'sources changed since the last build' : null;
}
