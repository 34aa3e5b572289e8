// The behaviour every ArtifactStore must have, run against each implementation by its own
// integration test with a real backing store (a temp directory, a local S3 server).
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ArtifactStore } from './artifact-store.ts';
import { sha256Of } from './testing.ts';

export const MB = 1024 * 1024;

/** Deterministic chunks, generated on demand so the test itself never holds the whole body. */
export function chunkBytes(i: number, size = MB): Uint8Array {
  const chunk = Buffer.alloc(size);
  for (let j = 0; j < size; j += 4) chunk.writeUInt32LE((i * 2654435761 + j) >>> 0, j);
  return chunk;
}

export async function* chunks(count: number, onChunk?: (i: number) => Promise<void>) {
  for (let i = 0; i < count; i++) {
    await onChunk?.(i);
    yield chunkBytes(i);
  }
}

export async function digestOf(count: number): Promise<string> {
  const hash = createHash('sha256');
  for await (const c of chunks(count)) hash.update(c);
  return hash.digest('hex');
}

export const readAll = async (s: NodeJS.ReadableStream) => {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(parts);
};

export interface StoreUnderTest {
  store: ArtifactStore;
  /** Anything stored outside the content-addressed blobs (temp uploads): must be 0 between puts. */
  leftovers(): Promise<number>;
  /** A blob's bytes read from the backing storage directly, bypassing the store. */
  rawBlob(sha256: string): Promise<Buffer>;
  /** Size, in 1 MB chunks, of the body the streaming case uploads. */
  largeChunks: number;
  /** Called before chunk i of that body is produced: asserts that earlier chunks have already left. */
  beforeLargeChunk(i: number): Promise<void>;
  close(): Promise<void>;
}

export function describeArtifactStore(name: string, open: () => Promise<StoreUnderTest>): void {
  describe(name, () => {
    let t: StoreUnderTest;
    beforeEach(async () => {
      t = await open();
    });
    afterEach(async () => {
      await t.close();
    });

    it('stores by sha256, serves ranges, and is idempotent', async () => {
      const { store } = t;
      const bytes = Buffer.from('0123456789abcdef');
      const sha256 = sha256Of(bytes);
      await store.put(Readable.from([bytes.subarray(0, 5), bytes.subarray(5)]), { sha256, length: 16 });
      expect(await t.rawBlob(sha256)).toEqual(bytes);
      await store.put(Readable.from([bytes]), { sha256, length: 16 });
      expect(await store.has(sha256)).toBe(true);
      expect(await store.stat(sha256)).toEqual({ size: 16 });

      const whole = await store.open(sha256);
      expect(whole.size).toBe(16);
      expect(await readAll(whole.stream)).toEqual(bytes);
      const part = await store.open(sha256, { start: 10, end: 15 });
      expect(part.size).toBe(16);
      expect((await readAll(part.stream)).toString()).toBe('abcdef');
      for (const range of [
        { start: 10, end: 16 },
        { start: 16, end: 20 },
        { start: 5, end: 4 },
      ]) {
        await expect(store.open(sha256, range)).rejects.toMatchObject({ code: 'INVALID', details: { size: 16 } });
      }
      await expect(store.open('0'.repeat(64))).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(store.open('0'.repeat(64), { start: 0, end: 1 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await store.stat('0'.repeat(64))).toBeNull();
      await expect(store.has('../../etc/passwd')).rejects.toMatchObject({ code: 'INVALID' });
      expect(await t.leftovers()).toBe(0);
    });

    it('refuses bytes whose hash differs, keeping nothing', async () => {
      const bytes = Buffer.from('model bytes');
      const wrong = sha256Of(Buffer.from('other bytes'));
      await expect(t.store.put(Readable.from([bytes]), { sha256: wrong, length: bytes.length })).rejects.toMatchObject({
        code: 'INVALID',
        message: expect.stringContaining('hash'),
      });
      expect(await t.store.has(wrong)).toBe(false);
      expect(await t.leftovers()).toBe(0);
    });

    it('removes the temp data of a truncated or failed upload', async () => {
      const sha256 = await digestOf(3);
      await expect(t.store.put(chunks(2), { sha256, length: 3 * MB })).rejects.toMatchObject({
        code: 'INVALID',
        message: expect.stringContaining('truncated'),
      });
      async function* dropped() {
        yield chunkBytes(0);
        throw new Error('connection reset');
      }
      await expect(t.store.put(dropped(), { sha256, length: 3 * MB })).rejects.toThrow('connection reset');
      expect(await t.store.has(sha256)).toBe(false);
      expect(await t.leftovers()).toBe(0);
    });

    it('stops reading a body longer than the signed length', async () => {
      const sha256 = await digestOf(2);
      let pulled = 0;
      const body = chunks(100, async (i) => {
        pulled = i + 1;
      });
      await expect(t.store.put(body, { sha256, length: 2 * MB })).rejects.toMatchObject({
        code: 'INVALID',
        message: expect.stringContaining('longer'),
      });
      expect(pulled).toBe(3);
      expect(await t.store.has(sha256)).toBe(false);
      expect(await t.leftovers()).toBe(0);
    });

    it('hashes a large body while streaming it out, never holding all of it', async () => {
      const count = t.largeChunks;
      const sha256 = await digestOf(count);
      await t.store.put(
        chunks(count, (i) => t.beforeLargeChunk(i)),
        { sha256, length: count * MB },
      );
      expect(await t.store.stat(sha256)).toEqual({ size: count * MB });
      const { stream } = await t.store.open(sha256);
      const hash = createHash('sha256');
      for await (const c of stream) hash.update(c as Uint8Array);
      expect(hash.digest('hex')).toBe(sha256);
      expect(await t.leftovers()).toBe(0);
    });
  });
}
