import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readDeviceMetadata } from '@edgefleet/core/rollouts/device-repository';
import type { SeededVersion } from '@edgefleet/core/rollouts/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeRuntime } from '../test/fake-runtime.ts';
import { fastClock, type InstallHarness, startInstallHarness } from '../test/install-harness.ts';
import { Reconciler } from './reconciler.ts';
import { SlotStore } from './slots.ts';
import { hasTrustedRoot, InstructionRefused, saveTrustedRoot, TufClient } from './tuf-client.ts';

const DAY = 86_400_000;
let h: InstallHarness;
let v1: SeededVersion;
let v2: SeededVersion;

beforeAll(async () => {
  h = await startInstallHarness();
  v1 = await h.publish('1.0.0');
  v2 = await h.publish('1.1.0');
});
afterAll(() => h?.close());
afterEach(() => {
  h.fleet.tuf = (deviceId, file) => readDeviceMetadata(h.repo, deviceId, file);
  delete h.repo.now;
});

describe('the device TUF client', () => {
  it('verifies the instruction and resolves each artifact against its publisher', async () => {
    const dev = await h.device();
    expect(await hasTrustedRoot(dev.dir)).toBe(true);
    await dev.desire(v1, { force: true, attempt: 3 });
    const vi = await dev.tuf.refresh();
    const artifact = v1.artifacts[0];
    expect(vi.instruction).toMatchObject({
      deviceId: dev.id,
      models: [{ model: 'detector', version: '1.0.0', sha256: artifact?.sha256, force: true, attempt: 3 }],
    });
    expect(vi.targets[artifact?.path ?? '']).toEqual({
      ok: true,
      length: artifact?.length,
      sha256: artifact?.sha256,
      custom: JSON.parse(JSON.stringify(artifact?.custom)),
    });
    expect(await dev.tuf.targetInfo(artifact?.path ?? '')).toMatchObject({ length: artifact?.length });
    // Metadata came over mTLS as this device.
    const tufRequests = h.fleet.requests.filter((r) => r.path.startsWith('/v1/tuf/') && r.clientCn === dev.id);
    expect(tufRequests.map((r) => r.path)).toEqual(
      expect.arrayContaining(['/v1/tuf/timestamp.json', '/v1/tuf/targets.json', '/v1/tuf/detector%401.0.0.json']),
    );
    expect((await readdir(join(dev.dir, 'tuf'))).sort()).toContain('targets.json');
  });

  it('refuses an expired instruction and keeps trusting the last one', async () => {
    const dev = await h.device();
    await dev.desire(v1);
    const good = await dev.tuf.refresh();
    // The next signature is made as if two days ago: it expired yesterday.
    h.repo.now = () => new Date(Date.now() - 2 * DAY);
    await dev.desire(v2);
    const refused = dev.tuf.refresh();
    await expect(refused).rejects.toBeInstanceOf(InstructionRefused);
    await expect(refused).rejects.toThrow(/expired/);
    const trusted = JSON.parse(await readFile(join(dev.dir, 'tuf', 'targets.json'), 'utf8'));
    expect(trusted.signed.version).toBe(good.version);
  });

  it('refuses a replayed older instruction, in tuf-js and again in the reconciler', async () => {
    const dev = await h.device();
    const recorded = new Map<string, string>();
    h.fleet.tuf = async (deviceId, file) => {
      const text = await readDeviceMetadata(h.repo, deviceId, file);
      if (text) recorded.set(file, text);
      return text;
    };
    await dev.desire(v1);
    const old = await dev.tuf.refresh();
    const replay = new Map(recorded);
    await dev.desire(v2);
    const current = await dev.tuf.refresh();
    expect(current.version).toBeGreaterThan(old.version);

    h.fleet.tuf = (_id, file) => replay.get(file) ?? null;
    await expect(dev.tuf.refresh()).rejects.toThrow(/less than current version/);

    // Even with the TUF cache gone (only the root left), the reconciler will not go back.
    const store = new SlotStore(dev.dir);
    const r = new Reconciler({
      store,
      runtime: new FakeRuntime(),
      server: h.server,
      tls: dev.tls,
      clock: fastClock(),
      log: () => {},
    });
    await r.start();
    expect(await r.accept(current)).toBe(true);
    for (const f of ['timestamp.json', 'snapshot.json', 'targets.json']) await rm(join(dev.dir, 'tuf', f));
    const replayed = await new TufClient({
      dataRoot: dev.dir,
      server: h.server,
      deviceId: dev.id,
      tls: dev.tls,
    }).refresh();
    expect(replayed.version).toBe(old.version);
    expect(await r.accept(replayed)).toBe(false);
    expect(r.instructionVersion).toBe(current.version);
  });

  it("refuses another device's instruction", async () => {
    const dev = await h.device();
    const other = await h.device();
    await other.desire(v1);
    h.fleet.tuf = (_id, file) => readDeviceMetadata(h.repo, other.id, file);
    await expect(dev.tuf.refresh()).rejects.toThrow(`it is for ${other.id}, this device is ${dev.id}`);
  });

  it('refuses targets whose director signature does not verify', async () => {
    const dev = await h.device();
    await dev.desire(v1);
    h.fleet.tuf = async (deviceId, file) => {
      const text = await readDeviceMetadata(h.repo, deviceId, file);
      if (file !== 'targets.json' || !text) return text;
      const doc = JSON.parse(text);
      doc.signed.custom.models[0].force = true; // an attacker's edit
      return JSON.stringify(doc);
    };
    await expect(dev.tuf.refresh()).rejects.toThrow(/instruction refused/);
  });

  it('saves the root only from the server it enrolled with, and only a valid one', async () => {
    const dev = await h.device();
    await rm(join(dev.dir, 'tuf'), { recursive: true });
    expect(await hasTrustedRoot(dev.dir)).toBe(false);
    await expect(dev.tuf.refresh()).rejects.toThrow(/no trusted TUF root/);
    h.fleet.tuf = () => '{"signed":{"_type":"root"},"signatures":[]}';
    await expect(saveTrustedRoot(dev.dir, h.server, dev.tls)).rejects.toThrow(/TUF root is not valid/);
    expect(await hasTrustedRoot(dev.dir)).toBe(false);
    h.fleet.tuf = (deviceId, file) => readDeviceMetadata(h.repo, deviceId, file);
    await saveTrustedRoot(dev.dir, h.server, dev.tls);
    await dev.desire(v1);
    await expect(dev.tuf.refresh()).resolves.toMatchObject({ instruction: { deviceId: dev.id } });
  });
});
