// A stand-alone installer process for the SIGKILL test: `node --import tsx install-child.ts <data-dir>`.
// The real installer (TUF client, downloads, slots) with a fake model runtime.
import { DataDir } from '../data-dir.ts';
import { createInstaller } from '../install/service.ts';
import { systemClock } from '../runtime.ts';
import { FakeRuntime } from './fake-runtime.ts';

const dir = process.argv[2];
if (!dir) throw new Error('usage: install-child.ts <data-dir>');
const dataDir = new DataDir(dir);
const identity = await dataDir.readIdentity();
if (!identity) throw new Error(`${dir} holds no identity`);
const controller = new AbortController();
process.on('SIGTERM', () => controller.abort());
const installer = createInstaller({
  dataDir,
  identity,
  runtime: new FakeRuntime(),
  clock: systemClock,
  log: (line) => process.stdout.write(`${line}\n`),
  reconciler: { progressIntervalMs: 0 },
});
await installer.run(controller.signal);
