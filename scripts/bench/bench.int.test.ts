import { describe, expect, it } from 'vitest';
import { artifactUpload } from './artifact-upload.ts';
import { median } from './lib.ts';
import { rolloutPlan } from './rollout-plan.ts';

/** The benchmark's smoke run (tiny input, one run): it keeps working, and its bounds hold. */
describe('npm run bench -- --smoke', () => {
  it('publishes a generated model through the real CLI and control plane within the memory bound', async () => {
    const result = await artifactUpload.run({ smoke: true });
    const byName = Object.fromEntries(result.measurements.map((m) => [m.name.split(' ')[0], m]));
    expect(result.measurements[0]?.runs).toHaveLength(1);
    expect(median(result.measurements[0]?.runs ?? [])).toBeGreaterThan(0);
    // The uploading CLI streams: its peak memory does not follow the file size.
    const cli = result.measurements.find((m) => m.name === 'CLI peak RSS');
    expect(cli && median(cli.runs)).toBeLessThan(200);
    expect(byName.publish).toBeDefined();
    expect(result.reference && median(result.reference.runs)).toBeGreaterThan(0);
  }, 240_000);

  it('plans a rollout over 1,000 devices on both databases and measures the COPY reference', async () => {
    const result = await rolloutPlan.run({ smoke: true });
    expect(result.measurements).toHaveLength(2);
    for (const m of result.measurements) expect(median(m.runs)).toBeGreaterThan(0);
    expect(result.reference && median(result.reference.runs)).toBeGreaterThan(0);
  }, 240_000);
});
