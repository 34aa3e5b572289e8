import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestCa } from '../test/fleet-ca.ts';
import { type FleetServer, startFleetServer } from '../test/fleet-server.ts';
import { type DownloadOptions, downloadArtifact } from './download.ts';

const ca = createTestCa();
const device = ca.device('dev_download');
const bytes = randomBytes(256 * 1024);
const sha256 = createHash('sha256').update(bytes).digest('hex');
let fleet: FleetServer;
let dir: string;
let sleeps: number[];

beforeAll(async () => {
  fleet = await startFleetServer(ca);
  fleet.artifacts.set(sha256, bytes);
});
afterAll(() => fleet?.close());
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agent-download-'));
  fleet.faults.length = 0;
  fleet.requests.length = 0;
  sleeps = [];
  return () => rm(dir, { recursive: true, force: true });
});

const part = () => join(dir, `${sha256}.part`);
const final = () => join(dir, sha256);

function options(extra: Partial<DownloadOptions> = {}): DownloadOptions {
  return {
    server: new URL(fleet.url),
    sha256,
    length: bytes.length,
    partFile: part(),
    finalFile: final(),
    tls: async () => ({ ca: ca.chainPem, cert: device.certPem, key: device.keyPem }),
    signal: new AbortController().signal,
    sleep: async (ms) => void sleeps.push(ms),
    retry: { initialMs: 100, maxMs: 1000, jitter: 0.5 },
    maxAttempts: 3,
    random: () => 0.5,
    ...extra,
  };
}

const ranges = () => fleet.requests.map((r) => r.range ?? 'none');

describe('downloadArtifact', () => {
  it('downloads over mTLS, reports progress, and renames the verified file into place', async () => {
    const progress: number[] = [];
    await downloadArtifact(options({ onProgress: (b, total) => progress.push(b / total) }));
    expect(await readFile(final())).toEqual(bytes);
    expect(await readdir(dir)).toEqual([sha256]);
    expect(progress.at(-1)).toBe(1);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(fleet.requests[0]?.clientCn).toBe('dev_download');
  });

  it('retries server errors with growing, jittered delays', async () => {
    fleet.faults.push({ kind: 'status', status: 503 }, { kind: 'status', status: 503 });
    await downloadArtifact(options());
    expect(sleeps).toEqual([75, 150]); // 100 and 200, each minus half the 0.5 jitter
    expect(await readFile(final())).toEqual(bytes);
  });

  it('takes the whole body again from a server that ignores the range', async () => {
    fleet.faults.push({ kind: 'cut', fraction: 0.5 }, { kind: 'ignore-range' });
    await downloadArtifact(options());
    expect(ranges()).toEqual(['none', `bytes=${bytes.length / 2}-`]);
    expect(await readFile(final())).toEqual(bytes);
  });

  it('starts over once when a kept .part turns out torn (its bytes are not the artifact)', async () => {
    await writeFile(part(), randomBytes(1000));
    await downloadArtifact(options());
    expect(ranges()).toEqual(['bytes=1000-', 'none']);
    expect(await readFile(final())).toEqual(bytes);
  });

  it('does not retry a 404, and deletes nothing it did not write', async () => {
    const missing = 'f'.repeat(64);
    await expect(downloadArtifact(options({ sha256: missing, partFile: join(dir, 'x.part') }))).rejects.toMatchObject({
      retryable: false,
    });
    expect(fleet.requests).toHaveLength(1);
  });

  it('gives up (retryable) after attempts without progress, keeping what it has', async () => {
    fleet.faults.push(
      { kind: 'cut', fraction: 0.25 },
      { kind: 'status', status: 502 },
      { kind: 'status', status: 502 },
      { kind: 'status', status: 502 },
    );
    await expect(downloadArtifact(options())).rejects.toMatchObject({ retryable: true });
    expect((await stat(part())).size).toBe(bytes.length / 4);
    // The cut made progress, so it did not count: three failures after it.
    expect(fleet.requests).toHaveLength(4);
  });

  it('counts what is already downloaded in the disk check, and refuses early when the rest does not fit', async () => {
    await writeFile(part(), bytes.subarray(0, bytes.length / 2));
    const fits = { bavail: bytes.length / 2, bsize: 1 };
    await downloadArtifact(options({ statfs: async () => fits, reserveBytes: 0 }));
    expect(await readFile(final())).toEqual(bytes);

    await rm(final());
    fleet.requests.length = 0;
    const full = options({ statfs: async () => ({ bavail: 100, bsize: 1024 }), reserveBytes: 64 * 1024 });
    await expect(downloadArtifact(full)).rejects.toThrow(/not enough disk space: 0\.1 MB free/);
    expect(fleet.requests).toEqual([]);
  });

  it('refuses early when memory cannot hold the model, counting what the replaced version frees', async () => {
    const MiB = 2 ** 20;
    const memory = { neededBytes: 300 * MiB, freedBytes: 100 * MiB };
    await expect(downloadArtifact(options({ memory, freemem: () => 150 * MiB }))).rejects.toMatchObject({
      retryable: false,
      message:
        'not enough memory: the model needs 300.0 MB, 150.0 MB is available and unloading the version it ' +
        'replaces frees 100.0 MB; the serving and previous versions are kept',
    });
    expect(fleet.requests).toEqual([]);
    await downloadArtifact(options({ memory, freemem: () => 200 * MiB }));
    expect(await readFile(final())).toEqual(bytes);
  });

  it('stops at once when aborted, keeping the part for later', async () => {
    const controller = new AbortController();
    fleet.faults.push({ kind: 'cut', fraction: 0.5 });
    const sleep = (_ms: number, signal?: AbortSignal) => {
      controller.abort();
      return Promise.reject(signal?.reason ?? Object.assign(new Error('aborted'), { name: 'AbortError' }));
    };
    await expect(downloadArtifact(options({ signal: controller.signal, sleep }))).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect((await stat(part())).size).toBe(bytes.length / 2);
  });

  it('will not download from a server whose certificate is not from the pinned CA', async () => {
    const impostor = createTestCa({ cn: 'Impostor' });
    const other = await startFleetServer(impostor);
    other.artifacts.set(sha256, bytes);
    try {
      await expect(downloadArtifact(options({ server: new URL(other.url) }))).rejects.toThrow(
        /download failed 3 times.*(certificate|issuer)/,
      );
      expect(other.requests).toEqual([]);
    } finally {
      await other.close();
    }
  });
});
