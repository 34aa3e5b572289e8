import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm, stat, statfs } from 'node:fs/promises';
import { freemem } from 'node:os';
import { dirname } from 'node:path';
import { Backoff, type BackoffPolicy } from '../backoff.ts';
import { AgentError, errorMessage } from '../errors.ts';
import { fsyncDir } from '../fs-atomic.ts';
import { isAbort } from '../runtime.ts';
import { httpsGet, type TlsSource } from './https.ts';

/** A failed download; `retryable` false when trying again cannot help (no disk space, wrong bytes). */
export class DownloadError extends AgentError {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'DownloadError';
  }
}

export type StatFs = (path: string) => Promise<{ bavail: number | bigint; bsize: number | bigint }>;

export interface DownloadOptions {
  /** Gateway base URL; the artifact is GET /v1/artifacts/<sha256>. */
  server: URL;
  sha256: string;
  /** The signed length: never more bytes than this are written. */
  length: number;
  /** `<sha256>.part` while incomplete; renamed to `finalFile` once length and hash match. */
  partFile: string;
  finalFile: string;
  tls: TlsSource;
  signal: AbortSignal;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  onProgress?: (bytes: number, total: number) => void;
  retry?: BackoffPolicy;
  /** Attempts in a row without progress before giving up (retryable). */
  maxAttempts?: number;
  random?: () => number;
  statfs?: StatFs;
  /** Free space to leave on the disk after the download. */
  reserveBytes?: number;
  /**
   * What the model needs in memory once loaded (its signed `memoryBytes`) and what unloading the
   * version it replaces gives back; absent when the artifact declares no need.
   */
  memory?: { neededBytes: number; freedBytes: number };
  /** Memory available now; default os.freemem (MemAvailable on Linux: free plus reclaimable cache). */
  freemem?: () => number;
  idleTimeoutMs?: number;
}

const MB = 1024 * 1024;
const mb = (n: number) => `${(n / MB).toFixed(1)} MB`;

/**
 * Downloads one artifact into staging, resumable: what is in the `.part` file is kept across cut
 * connections and restarts (re-hashed when resuming, then `Range: bytes=N-`), a response is cut
 * at the signed length, transient failures are retried with exponential backoff and jitter. The
 * result is renamed into place only when its length and sha256 match; a mismatch deletes it.
 */
export async function downloadArtifact(opts: DownloadOptions): Promise<void> {
  const { length, partFile } = opts;
  let bytes = await sizeOf(partFile);
  if (bytes > length) {
    await rm(partFile, { force: true });
    bytes = 0;
  }
  await preflight(opts, bytes);
  const backoff = new Backoff(opts.retry ?? { initialMs: 1000, maxMs: 60_000, jitter: 0.3 }, opts.random);
  const maxAttempts = opts.maxAttempts ?? 5;
  let failures = 0;
  let hashed = null as { hash: Hash; bytes: number } | null;
  let restartedOnce = false;
  for (;;) {
    const before = await sizeOf(partFile);
    try {
      if (hashed?.bytes !== before) hashed = await hashFile(partFile);
      hashed = await fetchRest(opts, hashed);
      const digest = hashed.hash.copy().digest('hex');
      if (hashed.bytes === length && digest === opts.sha256) break;
      await rm(partFile, { force: true });
      hashed = null;
      // A part kept from before (a restart, a power cut) may hold a torn tail: start over once.
      if (!restartedOnce && before > 0) {
        restartedOnce = true;
        continue;
      }
      throw new DownloadError(
        `the downloaded artifact does not match its signature: sha256 ${digest}, signed ${opts.sha256}`,
        false,
      );
    } catch (e) {
      if (isAbort(e) || opts.signal.aborted) throw e;
      if (e instanceof DownloadError && !e.retryable) {
        await rm(partFile, { force: true });
        throw e;
      }
      hashed = null;
      const after = await sizeOf(partFile);
      // A cut connection that brought bytes is not a failure in a row: start counting afresh.
      if (after > before) {
        failures = 0;
        backoff.reset();
      } else if (++failures >= maxAttempts) {
        throw new DownloadError(
          `download failed ${failures} times in a row (${mb(after)} of ${mb(length)} kept): ${errorMessage(e)}`,
          true,
        );
      }
      await opts.sleep(backoff.next(), opts.signal);
    }
  }
  await rename(partFile, opts.finalFile);
  await fsyncDir(dirname(opts.finalFile));
}

/**
 * Refuses early, before any byte is fetched, when the disk cannot take the rest of the artifact or
 * memory cannot hold the model: retrying would not help until an operator frees some.
 */
async function preflight(opts: DownloadOptions, have: number): Promise<void> {
  const fs = await (opts.statfs ?? statfs)(dirname(opts.partFile));
  const free = Number(fs.bavail) * Number(fs.bsize);
  const reserve = opts.reserveBytes ?? 16 * MB;
  const needed = opts.length - have + reserve;
  if (free < needed) {
    throw new DownloadError(
      `not enough disk space: ${mb(free)} free, the artifact needs ${mb(opts.length - have)} more ` +
        `(${mb(opts.length)} in all) plus a ${mb(reserve)} reserve; the serving and previous versions are kept`,
      false,
    );
  }
  const memory = opts.memory;
  const available = memory ? (opts.freemem ?? freemem)() : 0;
  if (memory && available + memory.freedBytes < memory.neededBytes) {
    throw new DownloadError(
      `not enough memory: the model needs ${mb(memory.neededBytes)}, ${mb(available)} is available` +
        (memory.freedBytes > 0 ? ` and unloading the version it replaces frees ${mb(memory.freedBytes)}` : '') +
        '; the serving and previous versions are kept',
      false,
    );
  }
}

/** One request for whatever is missing; appends to the part file and keeps the running hash. */
async function fetchRest(
  opts: DownloadOptions,
  have: { hash: Hash; bytes: number },
): Promise<{ hash: Hash; bytes: number }> {
  const { length, partFile } = opts;
  if (have.bytes === length) return have;
  const url = new URL(`/v1/artifacts/${opts.sha256}`, opts.server);
  const res = await httpsGet(url, {
    tls: await opts.tls(),
    headers: have.bytes > 0 ? { range: `bytes=${have.bytes}-` } : {},
    signal: opts.signal,
    idleTimeoutMs: opts.idleTimeoutMs,
  });
  let start = have.bytes;
  let hash = have.hash;
  const status = res.statusCode ?? 0;
  if (status === 200 && start > 0) {
    // The server ignored the range: take the whole body again.
    await rm(partFile, { force: true });
    start = 0;
    hash = createHash('sha256');
  } else if (status === 206) {
    const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers['content-range'] ?? '');
    if (!range || Number(range[1]) !== start) {
      res.destroy();
      throw new Error(`the server answered range ${start}- with ${res.headers['content-range'] ?? 'no content-range'}`);
    }
    if (range[3] !== '*' && Number(range[3]) !== length) {
      res.destroy();
      throw new DownloadError(`the server's artifact has ${range[3]} bytes, the signed length is ${length}`, false);
    }
  } else if (status !== 200) {
    res.resume();
    if (status === 416) {
      // Our part does not fit the server's artifact: start over.
      await rm(partFile, { force: true });
      throw new Error('the server refused to resume (416); starting over');
    }
    const retryable = status === 408 || status === 429 || status >= 500;
    throw new DownloadError(`${url.pathname}: HTTP ${status}`, retryable);
  }
  const announced = Number(res.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(announced) && start + announced > length) {
    res.destroy();
    throw new DownloadError(`the server announced ${start + announced} bytes, more than the signed ${length}`, false);
  }

  const handle = await open(partFile, start === 0 ? 'w' : 'a', 0o600);
  let bytes = start;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      if (bytes + chunk.length > length) {
        res.destroy();
        throw new DownloadError(`the server sent more than the signed length of ${length} bytes`, false);
      }
      await handle.write(chunk);
      hash.update(chunk);
      bytes += chunk.length;
      opts.onProgress?.(bytes, length);
    }
    if (bytes === length) await handle.sync();
  } catch (e) {
    if (e instanceof DownloadError || isAbort(e)) throw e;
    throw new Error(`connection lost at ${bytes} of ${length} bytes: ${errorMessage(e)}`);
  } finally {
    await handle.close();
  }
  if (bytes < length) throw new Error(`the server ended the response at ${bytes} of ${length} bytes`);
  return { hash, bytes };
}

async function hashFile(path: string): Promise<{ hash: Hash; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  if ((await sizeOf(path)) === 0) return { hash, bytes };
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { hash, bytes };
}

/** sha256 and length of a file, for re-checking a staged artifact before it is installed. */
export async function digestFile(path: string): Promise<{ sha256: string; length: number }> {
  const { hash, bytes } = await hashFile(path);
  return { sha256: hash.digest('hex'), length: bytes };
}

const sizeOf = (path: string) =>
  stat(path).then(
    (s) => s.size,
    () => 0,
  );
