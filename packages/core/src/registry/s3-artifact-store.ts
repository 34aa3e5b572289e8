import { createHash, randomBytes } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { DomainError } from '../errors.ts';
import type { ArtifactStore } from './artifact-store.ts';

const MiB = 1024 * 1024;
/** At most (queueSize + 1) parts are in memory at once, whatever the artifact's size. */
const PART_SIZE = 8 * MiB;
const QUEUE_SIZE = 2;

const SHA256_HEX = /^[0-9a-f]{64}$/;

// Same checks and messages as the local store, so callers see one behaviour whichever is configured.
function checkDigest(sha256: string): void {
  if (!SHA256_HEX.test(sha256)) throw new DomainError('INVALID', 'sha256 must be 64 lowercase hex characters');
}

const outside = (range: { start: number; end: number }, size: number) =>
  new DomainError('INVALID', `range ${range.start}-${range.end} is outside the artifact (${size} bytes)`, { size });

const statusOf = (e: unknown) => (e as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
// A missing bucket is a misconfiguration, not a missing artifact.
const isMissing = (e: unknown) => statusOf(e) === 404 && (e as { name?: string }).name !== 'NoSuchBucket';

export interface S3ArtifactStoreOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix without leading or trailing slash; '' stores at the bucket's root. */
  prefix?: string;
}

/**
 * `<prefix>/sha256/ab/abcdef…` in an S3-compatible bucket. Uploads go to `<prefix>/tmp/<random>` and
 * are copied to their content address only once their hash matches, so that key never holds
 * unverified bytes. CopyObject caps an artifact at 5 GiB (S3's single-copy limit).
 */
export function createS3ArtifactStore({ client, bucket, prefix = '' }: S3ArtifactStoreOptions): ArtifactStore {
  const keyOf = (...parts: string[]) => [prefix, ...parts].filter(Boolean).join('/');
  const blobKey = (sha256: string) => keyOf('sha256', sha256.slice(0, 2), sha256);

  async function sizeOf(sha256: string): Promise<number | null> {
    checkDigest(sha256);
    try {
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: blobKey(sha256) }));
      return head.ContentLength ?? 0;
    } catch (e) {
      if (isMissing(e)) return null;
      throw e;
    }
  }

  async function existingSize(sha256: string): Promise<number> {
    const size = await sizeOf(sha256);
    if (size === null) throw new DomainError('NOT_FOUND', `No artifact with sha256 ${sha256}`);
    return size;
  }

  const removeQuietly = (key: string) =>
    client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => {});

  return {
    async put(body, expected) {
      checkDigest(expected.sha256);
      if (!Number.isSafeInteger(expected.length) || expected.length < 0) {
        throw new DomainError('INVALID', 'length must be a non-negative integer');
      }
      const tmpKey = keyOf('tmp', randomBytes(16).toString('hex'));
      const sink = verifyingTransform(expected);
      const upload = new Upload({
        client,
        params: { Bucket: bucket, Key: tmpKey, Body: sink },
        partSize: PART_SIZE,
        queueSize: QUEUE_SIZE,
      });
      const fed = feed(body as AsyncIterable<Uint8Array | string>, sink);
      const uploaded = upload.done();
      try {
        await Promise.all([fed, uploaded]);
      } catch (error) {
        // A refusal, or the body's own failure, explains more than the upload's reaction to it.
        const refusal = sink.errored instanceof DomainError ? sink.errored : undefined;
        sink.destroy(); // unblocks `feed` if the upload failed first
        const [fedResult] = await Promise.allSettled([fed, uploaded]);
        // The sink fails before the stream ends, so no temp object should exist; make sure.
        await removeQuietly(tmpKey);
        throw refusal ?? (fedResult.status === 'rejected' ? fedResult.reason : error);
      }
      try {
        // Same content under the same key, so overwriting an existing blob is harmless (idempotent).
        await client.send(
          new CopyObjectCommand({
            Bucket: bucket,
            Key: blobKey(expected.sha256),
            CopySource: `${bucket}/${tmpKey.split('/').map(encodeURIComponent).join('/')}`,
          }),
        );
      } catch (error) {
        await removeQuietly(tmpKey);
        throw error;
      }
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: tmpKey }));
    },

    async open(sha256, range) {
      checkDigest(sha256);
      if (range) {
        const { start, end } = range;
        if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
          throw outside(range, await existingSize(sha256));
        }
      }
      let res: GetObjectCommandOutput;
      try {
        res = await client.send(
          new GetObjectCommand({
            Bucket: bucket,
            Key: blobKey(sha256),
            ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
          }),
        );
      } catch (e) {
        if (isMissing(e)) throw new DomainError('NOT_FOUND', `No artifact with sha256 ${sha256}`);
        // 416: the range starts past the end.
        if (range && statusOf(e) === 416) throw outside(range, await existingSize(sha256));
        throw e;
      }
      const stream = res.Body;
      if (!(stream instanceof Readable)) throw new Error('S3 returned a body that is not a Node stream');
      const size = range ? Number(res.ContentRange?.split('/')[1]) : (res.ContentLength ?? 0);
      if (!Number.isSafeInteger(size)) {
        stream.destroy();
        throw new Error(`S3 returned an unusable Content-Range: ${res.ContentRange}`);
      }
      // S3 clips a range that ends past the blob; the local store refuses it, and so do we.
      if (range && range.end >= size) {
        stream.destroy();
        throw outside(range, size);
      }
      return { stream, size };
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

/**
 * Hashes and counts what passes through. It errors (so the upload never completes) on the chunk
 * that exceeds the signed length, and at the end on a short body or a different hash.
 */
function verifyingTransform(expected: { sha256: string; length: number }): Transform {
  const hash = createHash('sha256');
  let received = 0;
  const { sha256, length } = expected;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.byteLength;
      if (received > length) {
        const message = `upload is longer than the signed length of ${length} bytes`;
        return callback(new DomainError('INVALID', message, { expectedLength: length }));
      }
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      if (received < length) {
        const message = `upload ended after ${received} of ${length} bytes (truncated)`;
        return callback(new DomainError('INVALID', message, { received, expectedLength: length }));
      }
      const actual = hash.digest('hex');
      if (actual === sha256) return callback();
      const message = `uploaded bytes hash to sha256 ${actual}, not the signed ${sha256}`;
      callback(new DomainError('INVALID', message, { actualSha256: actual }));
    },
  });
}

/**
 * Pulls the next chunk only after the sink has taken the last one (its write callback waits for the
 * upload to read), so the body is read no faster than S3 accepts it, and not at all once the sink
 * has failed. Rejects only with the body's own error.
 */
async function feed(body: AsyncIterable<Uint8Array | string>, sink: Transform): Promise<void> {
  try {
    for await (const raw of body) {
      const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
      // Leaving the loop stops reading (the iterator's return() destroys a Node stream).
      if (!(await accepted(sink, chunk))) return;
    }
  } catch (error) {
    sink.destroy(error as Error);
    throw error;
  }
  sink.end();
}

const accepted = (sink: Transform, chunk: Uint8Array) =>
  new Promise<boolean>((resolve) => {
    const onClose = () => resolve(false);
    sink.once('close', onClose);
    sink.write(chunk, (e) => {
      sink.off('close', onClose);
      resolve(!e);
    });
  });
