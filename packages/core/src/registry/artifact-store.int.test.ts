import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ArtifactStore, createLocalArtifactStore } from './artifact-store.ts';
import { sha256Of } from './testing.ts';

const MB = 1024 * 1024;

/** Deterministic chunks, generated on demand so the test itself never holds the whole body. */
function chunkBytes(i: number, size = MB): Uint8Array {
  const chunk = Buffer.alloc(size);
  for (let j = 0; j < size; j += 4) chunk.writeUInt32LE((i * 2654435761 + j) >>> 0, j);
  return chunk;
}

async function* chunks(count: number, onChunk?: (i: number) => Promise<void>) {
  for (let i = 0; i < count; i++) {
    await onChunk?.(i);
    yield chunkBytes(i);
  }
}

async function digestOf(count: number): Promise<string> {
  const { createHash } = await import('node:crypto');
  const hash = createHash('sha256');
  for await (const c of chunks(count)) hash.update(c);
  return hash.digest('hex');
}

const readAll = async (s: NodeJS.ReadableStream) => {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(parts);
};

describe('local artifact store', () => {
  let dir: string;
  let store: ArtifactStore;
  const leftovers = async () => (await readdir(join(dir, 'tmp')).catch(() => [])).length;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgefleet-artifacts-'));
    store = createLocalArtifactStore(dir);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('stores by sha256, serves ranges, and is idempotent', async () => {
    const bytes = Buffer.from('0123456789abcdef');
    const sha256 = sha256Of(bytes);
    await store.put(Readable.from([bytes.subarray(0, 5), bytes.subarray(5)]), { sha256, length: 16 });
    expect(await readFile(join(dir, 'sha256', sha256.slice(0, 2), sha256))).toEqual(bytes);
    await store.put(Readable.from([bytes]), { sha256, length: 16 });
    expect(await store.has(sha256)).toBe(true);
    expect(await store.stat(sha256)).toEqual({ size: 16 });

    const whole = await store.open(sha256);
    expect(whole.size).toBe(16);
    expect(await readAll(whole.stream)).toEqual(bytes);
    const part = await store.open(sha256, { start: 10, end: 15 });
    expect(part.size).toBe(16);
    expect((await readAll(part.stream)).toString()).toBe('abcdef');
    await expect(store.open(sha256, { start: 10, end: 16 })).rejects.toMatchObject({
      code: 'INVALID',
      details: { size: 16 },
    });
    await expect(store.open('0'.repeat(64))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await store.stat('0'.repeat(64))).toBeNull();
    await expect(store.has('../../etc/passwd')).rejects.toMatchObject({ code: 'INVALID' });
    expect(await leftovers()).toBe(0);
  });

  it('refuses bytes whose hash differs, keeping nothing', async () => {
    const bytes = Buffer.from('model bytes');
    const wrong = sha256Of(Buffer.from('other bytes'));
    await expect(store.put(Readable.from([bytes]), { sha256: wrong, length: bytes.length })).rejects.toMatchObject({
      code: 'INVALID',
      message: expect.stringContaining('hash'),
    });
    expect(await store.has(wrong)).toBe(false);
    expect(await leftovers()).toBe(0);
  });

  it('removes the temp file of a truncated or failed upload', async () => {
    const sha256 = await digestOf(3);
    await expect(store.put(chunks(2), { sha256, length: 3 * MB })).rejects.toMatchObject({
      code: 'INVALID',
      message: expect.stringContaining('truncated'),
    });
    async function* dropped() {
      yield chunkBytes(0);
      throw new Error('connection reset');
    }
    await expect(store.put(dropped(), { sha256, length: 3 * MB })).rejects.toThrow('connection reset');
    expect(await store.has(sha256)).toBe(false);
    expect(await leftovers()).toBe(0);
  });

  it('stops reading a body longer than the signed length', async () => {
    const sha256 = await digestOf(2);
    let pulled = 0;
    const body = chunks(100, async (i) => {
      pulled = i + 1;
    });
    await expect(store.put(body, { sha256, length: 2 * MB })).rejects.toMatchObject({
      code: 'INVALID',
      message: expect.stringContaining('longer'),
    });
    expect(pulled).toBe(3);
    expect(await leftovers()).toBe(0);
  });

  it('hashes a 50 MB body while streaming it to disk, one chunk at a time', async () => {
    const count = 50;
    const sha256 = await digestOf(count);
    // Before producing chunk i, every earlier chunk must already be on disk: the store pulls the
    // next chunk only after writing the last, so it never holds more than one in memory.
    const body = chunks(count, async (i) => {
      const [partial] = await readdir(join(dir, 'tmp')).catch(() => []);
      const onDisk = partial ? (await stat(join(dir, 'tmp', partial))).size : 0;
      expect(onDisk).toBe(i * MB);
    });
    await store.put(body, { sha256, length: count * MB });
    expect(await store.stat(sha256)).toEqual({ size: count * MB });
    expect(await leftovers()).toBe(0);
  });
});
