import { appendFile, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskQueue, type QueueOptions } from './queue.ts';
import { nodeQueueFs } from './queue-fs.ts';
import { fullDiskFs } from './testing.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'telemetry-queue-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const open = (opts: Partial<QueueOptions> = {}) => DiskQueue.open({ dir, ...opts });
const seqs = async (q: DiskQueue) => (await q.peek(100_000)).map((i) => i.seq);
const segmentBytes = async () => {
  let total = 0;
  for (const n of await readdir(dir)) if (n.endsWith('.jsonl')) total += (await stat(join(dir, n))).size;
  return total;
};

describe('DiskQueue', () => {
  it('keeps messages and their order across a restart, and seq only grows', async () => {
    const q = await open();
    for (let i = 0; i < 5; i++) expect(await q.push({ n: i })).toBe(i);
    const again = await open();
    expect(await again.peek(10)).toEqual([0, 1, 2, 3, 4].map((n) => ({ seq: n, body: { n } })));
    await again.ack(1);
    expect(await again.push({ n: 5 })).toBe(5);

    const third = await open();
    expect(await seqs(third)).toEqual([2, 3, 4, 5]);
    await third.ack(5);
    expect(third.length).toBe(0);
    // Everything delivered: numbering still goes on from where it was.
    const fourth = await open();
    expect(await fourth.push({ n: 6 })).toBe(6);
  });

  it('writes the pushes that arrive together with one append (one fsync)', async () => {
    const fs = fullDiskFs();
    const q = await open({ fs });
    await q.push({ first: true });
    const writes = fs.writes;
    expect(await Promise.all([q.push(1), q.push(2), q.push(3)])).toEqual([1, 2, 3]);
    expect(fs.writes - writes).toBe(1);
  });

  it('drops the oldest beyond maxCount, counts them, and takes off the count a delivery reported', async () => {
    const q = await open({ maxCount: 3 });
    for (let i = 0; i < 5; i++) await q.push({ n: i });
    expect(await seqs(q)).toEqual([2, 3, 4]);
    expect(q.dropped).toBe(2);
    const reopened = await open({ maxCount: 3 });
    expect(reopened.dropped).toBe(2); // persisted
    await reopened.push({ n: 5 }); // one more dropped after the sender read the count
    await reopened.ack(3, 2);
    expect(reopened.dropped).toBe(1);
    expect(await seqs(reopened)).toEqual([4, 5]);
  });

  it('stays within maxBytes on disk, dropping whole segments from the oldest', async () => {
    const q = await open({ maxBytes: 16 * 1024, segmentBytes: 2 * 1024 });
    const body = { pad: 'x'.repeat(200) };
    for (let i = 0; i < 500; i++) {
      await q.push({ i, ...body });
      expect(await segmentBytes()).toBeLessThanOrEqual(16 * 1024);
    }
    const left = await seqs(q);
    expect(left.at(-1)).toBe(499);
    expect(left).toEqual(Array.from({ length: left.length }, (_, i) => 500 - left.length + i));
    expect(left.length + q.dropped).toBe(500);
    expect(q.bytes).toBe(await segmentBytes());
  });

  it('refuses a message larger than the whole queue as a drop', async () => {
    const q = await open({ maxBytes: 1024 });
    expect(await q.push({ pad: 'x'.repeat(2000) })).toBeNull();
    expect(q.dropped).toBe(1);
    expect(await q.push({ small: true })).toBe(1);
  });

  it('re-sends what was read but not acknowledged when the agent dies between publish and ack', async () => {
    const q = await open();
    for (let i = 0; i < 4; i++) await q.push({ i });
    await q.peek(4); // published…
    await q.ack(1); // …and only the first two acknowledged before the crash
    const after = await open();
    expect(await seqs(after)).toEqual([2, 3]);
  });

  it('deletes a segment left behind by a crash after the head moved past it, without re-sending it', async () => {
    const failing = { ...nodeQueueFs, remove: async () => Promise.reject(new Error('crash before unlink')) };
    const q = await open({ fs: failing, segmentBytes: 64 });
    for (let i = 0; i < 3; i++) await q.push({ i, pad: 'x'.repeat(40) }); // one segment each
    await q.ack(1);
    expect((await readdir(dir)).filter((n) => n.endsWith('.jsonl'))).toHaveLength(3);
    const after = await open({ segmentBytes: 64 });
    expect(await seqs(after)).toEqual([2]);
    expect((await readdir(dir)).filter((n) => n.endsWith('.jsonl'))).toHaveLength(1);
  });

  it('cuts off a line torn by a crash, so the next append starts on a line of its own', async () => {
    const q = await open();
    await q.push({ a: 1 });
    const [segment] = (await readdir(dir)).filter((n) => n.endsWith('.jsonl'));
    await appendFile(join(dir, segment as string), '{"seq":1,"body":{"a":');
    const after = await open();
    expect(await after.push({ a: 2 })).toBe(1);
    expect(await (await open()).peek(10)).toEqual([
      { seq: 0, body: { a: 1 } },
      { seq: 1, body: { a: 2 } },
    ]);
  });

  it('counts a write that fails (disk full) as a drop and keeps working once there is space', async () => {
    const fs = fullDiskFs();
    const q = await open({ fs });
    await q.push({ i: 0 });
    fs.full = true;
    fs.partial = 10; // the append got 10 bytes out before the disk was full
    expect(await q.push({ i: 1 })).toBeNull();
    expect(await q.push({ i: 2 })).toBeNull();
    expect(q.dropped).toBe(2);
    fs.full = false;
    expect(await q.push({ i: 3 })).toBe(3);
    expect(await seqs(q)).toEqual([0, 3]);
    // The torn bytes of the failed append were not left in front of a later record.
    const after = await open();
    expect(await after.peek(10)).toEqual([
      { seq: 0, body: { i: 0 } },
      { seq: 3, body: { i: 3 } },
    ]);
    expect(after.dropped).toBe(2);
  });
});
