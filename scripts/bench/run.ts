/**
 * `npm run bench`: runs every benchmark and writes docs/benchmarks.md. `--smoke` runs each on
 * tiny inputs once (what `npm test` checks) and writes nothing. `--only <words>` runs the
 * benchmarks whose name contains any of the comma-separated words and replaces just their
 * sections in docs/benchmarks.md (noted under its header), keeping the others as they were.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findRepoRoot } from '@edgefleet/config/env';
import { agentInference } from './agent-inference.ts';
import { agentMemory } from './agent-memory.ts';
import { agentVerify } from './agent-verify.ts';
import { artifactUpload } from './artifact-upload.ts';
import { dashboardApi } from './dashboard-api.ts';
import { type BenchResult, mergeMarkdown, renderMarkdown } from './lib.ts';
import { rollout1000 } from './rollout-1000.ts';
import { rolloutPlan } from './rollout-plan.ts';
import { telemetryIngest, telemetryIngestAtScale } from './telemetry-ingest.ts';
import { telemetryReplicas } from './telemetry-replicas.ts';

const smoke = process.argv.includes('--smoke');
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? (process.argv[onlyAt + 1] ?? '').split(',').filter(Boolean) : null;
const all = [
  artifactUpload,
  rolloutPlan,
  agentInference,
  agentVerify,
  agentMemory,
  telemetryIngest,
  telemetryIngestAtScale,
  telemetryReplicas,
  rollout1000,
  dashboardApi,
];
const benches = only ? all.filter((b) => only.some((w) => b.name.includes(w))) : all;
if (benches.length === 0) {
  console.error(`[bench] --only ${only?.join(',')} matches none of: ${all.map((b) => b.name).join('; ')}`);
  process.exit(2);
}

const results: BenchResult[] = [];
for (const bench of benches) {
  console.log(`[bench] ${bench.name}${smoke ? ' (smoke)' : ''}…`);
  results.push(await bench.run({ smoke }));
}
const markdown = renderMarkdown(results, new Date());
const out = join(findRepoRoot(), 'docs/benchmarks.md');
if (smoke) {
  console.log(markdown);
} else if (only && existsSync(out)) {
  writeFileSync(out, mergeMarkdown(readFileSync(out, 'utf8'), markdown, `npm run bench -- --only ${only.join(',')}`));
  console.log(`[bench] updated ${results.length} section(s) of ${out}`);
} else {
  writeFileSync(out, markdown);
  console.log(`[bench] wrote ${out}`);
}
