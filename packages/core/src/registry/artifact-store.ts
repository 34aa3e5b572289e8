import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DomainError } from '../errors.ts';

/**
 * Where artifact bytes live, addressed by their SHA-256. The local store is the one-machine
 * default; an S3-compatible store implements the same interface.
 */
export interface ArtifactStore {
  /**
   * Streams `body` to a temp file while hashing; refuses (and deletes) when length or sha256 differ
   * from `expected`, or the body exceeds expected.length (stops reading). Content-addressed by
   * sha256, fsync + rename; idempotent if the blob already exists.
   */
  put(
    body: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
    expected: { sha256: string; length: number },
  ): Promise<void>;
  /**
   * Byte range [start, end] inclusive, or all. `size` is the whole blob's size (for Content-Range).
   * A missing blob is NOT_FOUND; a range outside the blob is INVALID with `details.size`
   * (HTTP 416): call `stat` first to answer that without opening the blob.
   */
  open(
    sha256: string,
    range?: { start: number; end: number },
  ): Promise<{ stream: NodeJS.ReadableStream; size: number }>;
  has(sha256: string): Promise<boolean>;
  /** The blob's size, or null when it is not stored. */
  stat(sha256: string): Promise<{ size: number } | null>;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

function checkDigest(sha256: string): void {
  // Also what keeps a digest from naming a path outside the store.
  if (!SHA256_HEX.test(sha256)) throw new DomainError('INVALID', 'sha256 must be 64 lowercase hex characters');
}

const isMissing = (e: unknown) => (e as { code?: string } | null)?.code === 'ENOENT';

/** `<dir>/sha256/ab/abcdef…`, with in-flight uploads in `<dir>/tmp` on the same file system so rename is atomic. */
export function createLocalArtifactStore(dir: string): ArtifactStore {
  const blobDir = (sha256: string) => join(dir, 'sha256', sha256.slice(0, 2));
  const blobPath = (sha256: string) => join(blobDir(sha256), sha256);
  const tmpDir = join(dir, 'tmp');

  async function sizeOf(sha256: string): Promise<number | null> {
    checkDigest(sha256);
    try {
      return (await stat(blobPath(sha256))).size;
    } catch (e) {
      if (isMissing(e)) return null;
      throw e;
    }
  }

  return {
    async put(body, expected) {
      checkDigest(expected.sha256);
      if (!Number.isSafeInteger(expected.length) || expected.length < 0) {
        throw new DomainError('INVALID', 'length must be a non-negative integer');
      }
      await mkdir(tmpDir, { recursive: true });
      const tmp = join(tmpDir, `${expected.sha256}.${process.pid}.${randomBytes(6).toString('hex')}.partial`);
      const file = await open(tmp, 'wx', 0o644);
      let closed = false;
      try {
        const hash = createHash('sha256');
        let received = 0;
        // One chunk in memory at a time: each write is awaited before the next chunk is pulled.
        for await (const raw of body as AsyncIterable<Uint8Array | string>) {
          const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
          received += chunk.byteLength;
          if (received > expected.length) {
            // Leaving the loop stops reading (the iterator's return() destroys a Node stream).
            throw new DomainError('INVALID', `upload is longer than the signed length of ${expected.length} bytes`, {
              expectedLength: expected.length,
            });
          }
          hash.update(chunk);
          await file.write(chunk);
        }
        if (received < expected.length) {
          throw new DomainError('INVALID', `upload ended after ${received} of ${expected.length} bytes (truncated)`, {
            received,
            expectedLength: expected.length,
          });
        }
        const actual = hash.digest('hex');
        if (actual !== expected.sha256) {
          throw new DomainError(
            'INVALID',
            `uploaded bytes hash to sha256 ${actual}, not the signed ${expected.sha256}`,
            {
              actualSha256: actual,
            },
          );
        }
        // Durable before it becomes visible: a crash leaves either no blob or the whole blob.
        await file.sync();
        await file.close();
        closed = true;
        await mkdir(blobDir(expected.sha256), { recursive: true });
        // Same content under the same name, so replacing an existing blob is harmless (idempotent).
        await rename(tmp, blobPath(expected.sha256));
        await syncDir(blobDir(expected.sha256));
      } catch (error) {
        if (!closed) await file.close().catch(() => {});
        await rm(tmp, { force: true });
        throw error;
      }
    },

    async open(sha256, range) {
      checkDigest(sha256);
      let file: Awaited<ReturnType<typeof open>>;
      try {
        file = await open(blobPath(sha256), 'r');
      } catch (e) {
        if (isMissing(e)) throw new DomainError('NOT_FOUND', `No artifact with sha256 ${sha256}`);
        throw e;
      }
      const { size } = await file.stat();
      if (range) {
        const { start, end } = range;
        if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end >= size) {
          await file.close();
          throw new DomainError('INVALID', `range ${start}-${end} is outside the artifact (${size} bytes)`, { size });
        }
      }
      // autoClose: the handle closes when the stream ends or is destroyed.
      return { stream: file.createReadStream(range ? { start: range.start, end: range.end } : {}), size };
    },

    async has(sha256) {
      return (await sizeOf(sha256)) !== null;
    },

    async stat(sha256) {
      const size = await sizeOf(sha256);
      return size === null ? null : { size };
    },
  };
}

/** fsync the directory so the rename itself survives a power cut. */
async function syncDir(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
