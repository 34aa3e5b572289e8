import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { createLocalArtifactStore } from './artifact-store.ts';
import { describeArtifactStore, MB } from './artifact-store-cases.ts';

describeArtifactStore('local artifact store', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'edgefleet-artifacts-'));
  return {
    store: createLocalArtifactStore(dir),
    leftovers: async () => (await readdir(join(dir, 'tmp')).catch(() => [])).length,
    rawBlob: (sha256) => readFile(join(dir, 'sha256', sha256.slice(0, 2), sha256)),
    largeChunks: 50,
    // Before producing chunk i, every earlier chunk must already be on disk: the store pulls the
    // next chunk only after writing the last, so it never holds more than one in memory.
    async beforeLargeChunk(i) {
      const [partial] = await readdir(join(dir, 'tmp')).catch(() => []);
      const onDisk = partial ? (await stat(join(dir, 'tmp', partial))).size : 0;
      expect(onDisk).toBe(i * MB);
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
});
