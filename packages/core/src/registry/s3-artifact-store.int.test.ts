import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
// @ts-expect-error s3rver ships no type declarations; the shape it is used with is declared below.
import S3rverModule from 's3rver';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chunks, describeArtifactStore, digestOf, MB } from './artifact-store-cases.ts';
import { createS3ArtifactStore } from './s3-artifact-store.ts';
import { sha256Of } from './testing.ts';

interface S3rverServer {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
const S3rver = S3rverModule as new (options: Record<string, unknown>) => S3rverServer;

const BUCKET = 'edgefleet';
let run = 0;
const PART_MB = 8;

// A real S3-compatible HTTP server: if it cannot start, every test here fails (never skipped).
let server: S3rverServer;
let dir: string;
let client: S3Client;
/** Completed UploadPart requests, counted by an SDK middleware rather than by mocking the SDK. */
let partsUploaded = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgefleet-s3rver-'));
  server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: dir,
    configureBuckets: [{ name: BUCKET }],
  });
  const { port } = await server.run();
  client = new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === 'UploadPartCommand') partsUploaded++;
      return result;
    },
    { step: 'initialize', name: 'countUploadedParts' },
  );
});
afterAll(async () => {
  client?.destroy();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

async function keys(prefix: string): Promise<string[]> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${prefix}/` }));
  return (listed.Contents ?? []).map((o) => o.Key ?? '');
}

// Each case stores under a prefix of its own, so listing it shows only what that case left.
describeArtifactStore('S3 artifact store', async () => {
  const prefix = `run-${++run}/artifacts`;
  partsUploaded = 0;
  return {
    store: createS3ArtifactStore({ client, bucket: BUCKET, prefix }),
    leftovers: async () => (await keys(prefix)).filter((k) => !k.startsWith(`${prefix}/sha256/`)).length,
    async rawBlob(sha256) {
      const key = `${prefix}/sha256/${sha256.slice(0, 2)}/${sha256}`;
      const res = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      return Buffer.from((await res.Body?.transformToByteArray()) ?? []);
    },
    largeChunks: 20,
    // Producing chunk i means chunk i - 2 reached the uploader (one may wait in the stream's buffer),
    // filling part p = floor((i - 2) / 8); with 2 uploads in flight it takes that part only once part
    // p - 2 has been sent. A store that buffered the whole body would reach chunk 18 with nothing sent.
    async beforeLargeChunk(i) {
      expect(partsUploaded).toBeGreaterThanOrEqual(Math.floor((i - 2) / PART_MB) - 1);
    },
    close: async () => {},
  };
});

it('S3 artifact store: refuses an over-long body mid-multipart and keeps no object', async () => {
  const prefix = `run-${++run}/artifacts`;
  const store = createS3ArtifactStore({ client, bucket: BUCKET, prefix });
  const sha256 = await digestOf(20);
  let pulled = 0;
  const body = chunks(100, async (i) => {
    pulled = i + 1;
  });
  await expect(store.put(body, { sha256, length: 20 * MB })).rejects.toMatchObject({
    code: 'INVALID',
    message: expect.stringContaining('longer'),
  });
  expect(pulled).toBe(21);
  expect(await keys(prefix)).toEqual([]);
});

it('S3 artifact store: reports a missing bucket as the S3 error, not as a missing artifact', async () => {
  const store = createS3ArtifactStore({ client, bucket: 'no-such-bucket', prefix: 'x' });
  const bytes = Buffer.from('model bytes');
  await expect(
    store.put(Readable.from([bytes]), { sha256: sha256Of(bytes), length: bytes.length }),
  ).rejects.toMatchObject({
    name: 'NoSuchBucket',
  });
  await expect(store.open(sha256Of(bytes))).rejects.toMatchObject({ name: 'NoSuchBucket' });
});
