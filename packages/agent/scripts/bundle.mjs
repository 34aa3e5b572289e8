#!/usr/bin/env node
// `npm run build:agent`: bundles the agent's TypeScript (and the workspace packages it uses) into
// one ES module, dist/edgefleet-agent.mjs, for devices. bin/edgefleet-agent.js runs it when it is
// newer than every source file, and the sources through tsx otherwise. The bundle saves the tsx
// loader (its own thread, V8 isolate and esbuild: ~25-30 MiB of a small device's memory).
// Third-party packages stay external: they load from node_modules as they are.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const started = performance.now();
const result = await build({
  write: false,
  absWorkingDir: root,
  entryPoints: ['src/main.ts'],
  outfile: 'dist/edgefleet-agent.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  plugins: [
    {
      name: 'external-packages',
      setup(b) {
        // Bare specifiers other than our own workspace packages (TypeScript, so bundled) stay imports.
        b.onResolve({ filter: /^[^./]/ }, (args) =>
          args.path.startsWith('@edgefleet/') ? undefined : { path: args.path, external: true },
        );
      },
    },
  ],
});
// Written beside and renamed into place: an agent starting meanwhile never loads half a bundle.
for (const file of result.outputFiles) {
  mkdirSync(dirname(file.path), { recursive: true });
  writeFileSync(`${file.path}.tmp-${process.pid}`, file.contents);
  renameSync(`${file.path}.tmp-${process.pid}`, file.path);
}
console.log(
  `[edgefleet] agent bundled to packages/agent/dist/edgefleet-agent.mjs in ${Math.round(performance.now() - started)} ms`,
);
