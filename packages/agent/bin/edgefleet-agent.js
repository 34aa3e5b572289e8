#!/usr/bin/env node
// Runs the bundle `npm run build:agent` writes (dist/edgefleet-agent.mjs) when it is newer than
// every source it was built from; otherwise (or with EDGEFLEET_AGENT_FROM_SOURCE=1) the
// TypeScript sources directly, through tsx.
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = new URL('../dist/edgefleet-agent.mjs', import.meta.url);
const sources = ['../src', '../package.json', '../../protocol/src'].map((p) =>
  fileURLToPath(new URL(p, import.meta.url)),
);

function newest(path) {
  const s = statSync(path, { throwIfNoEntry: false });
  if (!s) return 0;
  if (!s.isDirectory()) return s.mtimeMs;
  let max = s.mtimeMs;
  for (const name of readdirSync(path)) max = Math.max(max, newest(`${path}/${name}`));
  return max;
}

const built = statSync(bundle, { throwIfNoEntry: false })?.mtimeMs ?? 0;
let entry = bundle.href;
if (process.env.EDGEFLEET_AGENT_FROM_SOURCE === '1' || built < Math.max(...sources.map(newest))) {
  const { register } = await import('tsx/esm/api');
  register();
  entry = new URL('../src/main.ts', import.meta.url).href;
}
const { main } = await import(entry);
process.exitCode = await main(process.argv);
