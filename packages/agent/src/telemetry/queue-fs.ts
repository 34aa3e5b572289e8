import { mkdir, open, readdir, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { readTextOrNull, writeFileAtomic } from '../fs-atomic.ts';
import type { Log } from '../runtime.ts';

/** The file operations the telemetry queue makes; a test injects failures (ENOSPC) through it. */
export interface QueueFs {
  mkdir(dir: string): Promise<void>;
  list(dir: string): Promise<string[]>;
  /** null when the file does not exist. */
  read(path: string): Promise<string | null>;
  /** Appends and fsyncs before resolving. */
  append(path: string, data: string): Promise<void>;
  /** Replaces the whole file so that a crash leaves the old or the new content (fs-atomic). */
  writeAtomic(path: string, data: string): Promise<void>;
  truncate(path: string, size: number): Promise<void>;
  remove(path: string): Promise<void>;
}

export const nodeQueueFs: QueueFs = {
  mkdir: async (dir) => {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  },
  list: (dir) => readdir(dir),
  read: readTextOrNull,
  append: async (path, data) => {
    const handle = await open(path, 'a', 0o600);
    try {
      await handle.appendFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  writeAtomic: (path, data) => writeFileAtomic(path, data, 0o600),
  truncate: (path, size) => truncate(path, size),
  remove: (path) => rm(path, { force: true }),
};

export interface QueueItem {
  seq: number;
  body: unknown;
}

/** One record per line: `{"seq":N,"body":…}`. */
export const encodeRecord = (item: QueueItem) => `${JSON.stringify({ seq: item.seq, body: item.body })}\n`;

/**
 * The records of a segment file, in order. `complete` is the byte length up to the end of the
 * last whole line: anything after it is a line a crash cut short. Lines that do not parse, or
 * whose seq does not follow the previous one, are skipped.
 */
export function decodeSegment(text: string, afterSeq = -1): { items: QueueItem[]; complete: number } {
  const items: QueueItem[] = [];
  let last = afterSeq;
  const end = text.lastIndexOf('\n') + 1;
  for (const line of text.slice(0, end).split('\n')) {
    if (!line) continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      continue;
    }
    const { seq, body } = (record ?? {}) as { seq?: unknown; body?: unknown };
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq <= last || body === undefined) continue;
    items.push({ seq, body });
    last = seq;
  }
  return { items, complete: Buffer.byteLength(text.slice(0, end)) };
}

export const STATE_FILE = 'state.json';
const SEGMENT = /^\d{16}\.jsonl$/;
/** Segments are named by their first seq, so the names sort in queue order. */
export const segmentName = (firstSeq: number) => `${String(firstSeq).padStart(16, '0')}.jsonl`;

export const ZQueueState = z.object({
  v: z.literal(1),
  /** Every record with a lower seq was acknowledged or dropped. */
  head: z.number().int().nonnegative(),
  nextSeq: z.number().int().nonnegative(),
  /** Discarded since the last delivery was acknowledged: goes into the next message sent. */
  dropped: z.number().int().nonnegative(),
});
export type QueueState = z.infer<typeof ZQueueState>;

export interface Segment {
  name: string;
  /** Seqs of its records, ascending. */
  seqs: number[];
  bytes: number;
  /** No more appends: the next batch starts a new segment. */
  sealed: boolean;
}

/**
 * What a queue directory holds, repaired after a crash: temp files of an unfinished rotation
 * removed, a torn last line cut off the last segment (so the next append starts a line of its
 * own; if it cannot be cut, that segment takes no more), empty segments removed. A corrupt
 * state.json counts as none: everything on disk is sent (again).
 */
export async function readQueueDir(
  fs: QueueFs,
  dir: string,
  log: Log,
): Promise<{ state: QueueState | null; segments: Segment[] }> {
  await fs.mkdir(dir);
  const stateText = await fs.read(join(dir, STATE_FILE));
  let state: QueueState | null = null;
  if (stateText !== null) {
    try {
      state = ZQueueState.parse(JSON.parse(stateText));
    } catch {
      log(`telemetry queue: ${join(dir, STATE_FILE)} is corrupt; re-sending everything queued`);
    }
  }
  const names = await fs.list(dir);
  for (const n of names) if (n.endsWith('.tmp')) await fs.remove(join(dir, n));
  const files = names.filter((n) => SEGMENT.test(n)).sort();
  const segments: Segment[] = [];
  let lastSeq = -1;
  for (const [i, name] of files.entries()) {
    const path = join(dir, name);
    const text = (await fs.read(path)) ?? '';
    const { items, complete } = decodeSegment(text, lastSeq);
    const seg: Segment = { name, seqs: items.map((r) => r.seq), bytes: Buffer.byteLength(text), sealed: true };
    if (i === files.length - 1) {
      seg.sealed = false;
      if (complete < seg.bytes) {
        try {
          await fs.truncate(path, complete);
          seg.bytes = complete;
        } catch {
          seg.sealed = true;
        }
      }
    }
    if (seg.seqs.length === 0) {
      await fs.remove(path);
      continue;
    }
    lastSeq = seg.seqs.at(-1) as number;
    segments.push(seg);
  }
  return { state, segments };
}
