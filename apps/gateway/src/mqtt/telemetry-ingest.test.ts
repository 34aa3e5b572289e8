import type { DeviceEventInput } from '@edgefleet/core/health/events';
import type { TelemetryItem, WriteCounts } from '@edgefleet/core/health/ingest';
import { telemetryMessage } from '@edgefleet/core/health/ingest-testing';
import type { Db } from '@edgefleet/db/client';
import { afterEach, describe, expect, it } from 'vitest';
import { type IngestWriter, TelemetryIngest } from './telemetry-ingest.ts';

// The batching and acknowledgement rules, with a writer whose commits the test releases one by
// one (the database path itself is covered against PostgreSQL and PGlite in the .int tests).
interface Write {
  seqs: number[];
  commit: () => void;
}

function controlledWriter() {
  const writes: Write[] = [];
  const writer: IngestWriter = {
    telemetry: (_db, items: TelemetryItem[]) =>
      new Promise<WriteCounts>((resolve) => {
        writes.push({
          seqs: items.map((i) => i.telemetry.seq),
          commit: () => resolve({ written: items.length, duplicates: 0 }),
        });
      }),
    events: async (_db, events: DeviceEventInput[]) => ({ written: events.length, duplicates: 0 }),
  };
  return { writer, writes };
}

const payload = (seq: number) => Buffer.from(JSON.stringify(telemetryMessage(seq)));
const tick = () => new Promise((r) => setTimeout(r, 5));
const ingests: TelemetryIngest[] = [];

function makeIngest(
  writer: IngestWriter,
  tuning: ConstructorParameters<typeof TelemetryIngest>[0] extends infer O ? Omit<O & object, 'db'> : never,
) {
  const ingest = new TelemetryIngest({
    db: {} as Db,
    writer,
    log: () => {},
    ratePerSecond: 1e6,
    rateBurst: 1e6,
    ...tuning,
  });
  ingests.push(ingest);
  return ingest;
}

afterEach(async () => {
  await Promise.all(ingests.splice(0).map((i) => i.close(10)));
});

describe('TelemetryIngest batching', () => {
  it('writes two full batches at once and acknowledges each only after its own commit', async () => {
    const { writer, writes } = controlledWriter();
    const ingest = makeIngest(writer, { batchSize: 3, flushMs: 10_000 });
    const acked: number[] = [];
    for (let seq = 1; seq <= 7; seq++) ingest.accept('dev_a', 'telemetry', payload(seq), () => acked.push(seq));
    await tick();
    // Full batches go at once, two at a time; the seventh waits (no third write, no timer yet).
    expect(writes.map((w) => w.seqs)).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    writes[1]?.commit();
    await tick();
    expect(acked).toEqual([4, 5, 6]);
    writes[0]?.commit();
    await tick();
    expect(acked).toEqual([4, 5, 6, 1, 2, 3]);
    expect(ingest.snapshot()).toMatchObject({ written: 6, bufferDepth: 1 });
  });

  it('lets messages wait, in order, for room in a full buffer, and refuses only beyond the hold limit', async () => {
    const { writer, writes } = controlledWriter();
    const ingest = makeIngest(writer, { batchSize: 2, bufferLimit: 2, holdLimit: 2, concurrency: 1, flushMs: 1 });
    const acked: number[] = [];
    const refused: number[] = [];
    const send = (seq: number) =>
      ingest.accept('dev_a', 'telemetry', payload(seq), (e) => (e ? refused.push(seq) : acked.push(seq)));
    for (let seq = 1; seq <= 5; seq++) send(seq);
    await tick();
    expect(ingest.snapshot()).toMatchObject({ bufferDepth: 2, heldDepth: 2, held: 2, rejectedFull: 1 });
    expect(refused).toEqual([5]);
    expect(writes.map((w) => w.seqs)).toEqual([[1, 2]]);
    writes[0]?.commit();
    await tick();
    // The held ones went in as soon as the first batch committed, oldest first.
    expect(acked).toEqual([1, 2]);
    expect(writes.map((w) => w.seqs)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    // A newcomer while nothing waits goes straight into the buffer's next batch.
    writes[1]?.commit();
    await tick();
    send(6);
    await tick();
    expect(acked).toEqual([1, 2, 3, 4]);
    expect(writes[2]?.seqs).toEqual([6]);
    expect(ingest.snapshot()).toMatchObject({ heldDepth: 0, rejectedFull: 1 });
  });

  it('refuses what is buffered or waiting when it shuts down with writes stuck, and never acknowledges it later', async () => {
    const { writer, writes } = controlledWriter();
    const ingest = makeIngest(writer, { batchSize: 1, bufferLimit: 1, holdLimit: 5, concurrency: 1 });
    const outcomes: string[] = [];
    for (let seq = 1; seq <= 3; seq++)
      ingest.accept('dev_a', 'telemetry', payload(seq), (e) => outcomes.push(`${seq}:${e ? 'refused' : 'acked'}`));
    await tick();
    await ingest.close(20);
    expect(outcomes.sort()).toEqual(['1:refused', '2:refused', '3:refused']);
    writes[0]?.commit(); // the stuck write completes after all
    await tick();
    expect(outcomes).toHaveLength(3);
  });
});
