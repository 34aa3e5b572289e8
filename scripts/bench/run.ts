/**
 * `npm run bench`: runs every benchmark and writes docs/benchmarks.md. `--smoke` runs each on
 * tiny inputs once (what `npm test` checks) and writes nothing.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findRepoRoot } from '@edgefleet/config/env';
import { agentInference } from './agent-inference.ts';
import { agentMemory } from './agent-memory.ts';
import { agentVerify } from './agent-verify.ts';
import { artifactUpload } from './artifact-upload.ts';
import { dashboardApi } from './dashboard-api.ts';
import { type BenchResult, renderMarkdown } from './lib.ts';
import { rollout1000 } from './rollout-1000.ts';
import { rolloutPlan } from './rollout-plan.ts';
import { telemetryIngest } from './telemetry-ingest.ts';

const smoke = process.argv.includes('--smoke');
const benches = [
  artifactUpload,
  rolloutPlan,
  agentInference,
  agentVerify,
  agentMemory,
  telemetryIngest,
  rollout1000,
  dashboardApi,
];

const results: BenchResult[] = [];
for (const bench of benches) {
  console.log(`[bench] ${bench.name}${smoke ? ' (smoke)' : ''}…`);
  results.push(await bench.run({ smoke }));
}
const markdown = renderMarkdown(results, new Date());
if (smoke) {
  console.log(markdown);
} else {
  const out = join(findRepoRoot(), 'docs/benchmarks.md');
  writeFileSync(out, markdown);
  console.log(`[bench] wrote ${out}`);
}
