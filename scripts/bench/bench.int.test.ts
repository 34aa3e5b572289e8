import { describe, expect, it } from 'vitest';
import { agentInference } from './agent-inference.ts';
import { agentMemory } from './agent-memory.ts';
import { agentVerify } from './agent-verify.ts';
import { artifactUpload } from './artifact-upload.ts';
import { dashboardApi } from './dashboard-api.ts';
import { type BenchResult, median } from './lib.ts';
import { rollout1000 } from './rollout-1000.ts';
import { rolloutPlan } from './rollout-plan.ts';
import { telemetryIngest, telemetryIngestAtScale } from './telemetry-ingest.ts';
import { telemetryReplicas } from './telemetry-replicas.ts';

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

  it('times inference through the agent HTTP API and directly with session.run', async () => {
    expectFigures(await agentInference.run({ smoke: true }), 4);
  }, 120_000);

  it('hashes a generated artifact with the agent digestFile and with sha256sum', async () => {
    expectFigures(await agentVerify.run({ smoke: true }), 3);
  }, 120_000);

  it('reads the RSS of the real edgefleet-agent binary, idle against a local broker, and of a bare node', async () => {
    expectFigures(await agentMemory.run({ smoke: true }), 4);
  }, 180_000);

  it('ingests telemetry from real mTLS connections into PostgreSQL, every PUBACK a stored row, and measures the bare broker', async () => {
    const result = await telemetryIngest.run({ smoke: true });
    expectFigures(result, 5);
    // The fixed-rate run kept up with what was offered (400 msgs/s from 20 devices).
    expect(median(result.measurements[0]?.runs ?? [])).toBeGreaterThan(300);
  }, 180_000);

  it('ingests from 50 devices at one message a second each, and the bare broker under the same load', async () => {
    const result = await telemetryIngestAtScale.run({ smoke: true });
    expectFigures(result, 6);
    expect(median(result.measurements[0]?.runs ?? [])).toBeGreaterThan(35);
  }, 180_000);

  it('ingests through Mosquitto with one and two gateway replicas, every broker-acknowledged message stored', async () => {
    const result = await telemetryReplicas.run({ smoke: true });
    expectFigures(result, 4);
    expect(median(result.reference?.runs ?? [])).toBeGreaterThan(0);
  }, 180_000);

  it('rolls a published version out to 10 simulated agents through the real control plane and fetches the artifact as each', async () => {
    const result = await rollout1000.run({ smoke: true });
    expectFigures(result, 4);
    const [t95, t100] = result.measurements.map((m) => median(m.runs));
    expect(t95).toBeLessThanOrEqual(t100 ?? 0);
  }, 300_000);

  it('times devices.list and health.overview over HTTP against 2,000 seeded devices, with whoami as the reference', async () => {
    const result = await dashboardApi.run({ smoke: true });
    expectFigures(result, 7);
  }, 240_000);
});

/** Every measurement and the reference have one run with a positive figure, and the ratio can be taken. */
function expectFigures(result: BenchResult, measurements: number) {
  expect(result.measurements).toHaveLength(measurements);
  for (const m of [...result.measurements, result.reference]) {
    expect(m?.runs).toHaveLength(1);
    expect(median(m?.runs ?? [])).toBeGreaterThan(0);
  }
  expect(result.measurements.some((m) => m.name === result.ratioOf)).toBe(true);
}
