import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiHarness, createTestPki } from '@edgefleet/api/testing';
import { serveFetch } from '@edgefleet/api/testing/http';
import { createTestDatabase } from '@edgefleet/db/testing';
import { Key, Metadata, MetadataKind } from '@tufjs/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tufKeyId } from './registry/publisher-key.ts';
import { hashFile } from './registry/upload.ts';
import { buildTestOnnxModel } from './test/onnx-model.ts';
import { type CliRun, runCli } from './test/run-cli.ts';

describe('edgefleet keys and models against a running API', () => {
  let t: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: Awaited<ReturnType<typeof serveFetch>>;
  let h: ReturnType<typeof createApiHarness>;
  let adminToken: string;
  let publishToken: string;
  let readToken: string;
  const dir = mkdtempSync(join(tmpdir(), 'ef-registry-cli-'));
  const path = (name: string) => join(dir, name);
  const modelFile = path('mlp.onnx');

  const cli = (args: string[], token: string): Promise<CliRun> =>
    runCli(args, {
      cwd: dir,
      env: { ...process.env, EDGEFLEET_CONFIG_DIR: dir, EDGEFLEET_URL: server.url, EDGEFLEET_TOKEN: token },
    });
  const versionCount = () => t.db.modelVersion.count();

  beforeAll(async () => {
    t = await createTestDatabase('pglite');
    h = createApiHarness(t.db, await createTestPki(t.db));
    const admin = await h.makeUser('admin');
    adminToken = await h.makeToken(admin, ['settings:write', 'models:read']);
    publishToken = await h.makeToken(admin, ['models:publish']);
    readToken = await h.makeToken(admin, ['models:read']);
    server = await serveFetch((p, init) => h.request(p, init));
    writeFileSync(modelFile, buildTestOnnxModel({ weightsAsInputs: true }));
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
  });

  it('generates a key pair, refuses to overwrite it, and registers the public half', async () => {
    const gen = await cli(['keys', 'generate', '--out', 'publisher.key', '--json'], '');
    expect(gen.code).toBe(0);
    expect(statSync(path('publisher.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(path('publisher.key'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const pub = JSON.parse(readFileSync(path('publisher.key.pub'), 'utf8'));
    expect(pub).toMatchObject({ keytype: 'ed25519', scheme: 'ed25519', keyval: { public: expect.any(String) } });
    expect(JSON.parse(gen.stdout).keyId).toBe(tufKeyId(pub));

    const again = await cli(['keys', 'generate', '--out', 'publisher.key'], '');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists; refusing to overwrite/);

    const refused = await cli(['keys', 'add', '--public', 'publisher.key.pub', '--name', 'ci-main'], publishToken);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/Missing scope settings:write/);
    const add = await cli(['keys', 'add', '--public', 'publisher.key.pub', '--name', 'ci-main', '--json'], adminToken);
    expect(add.code).toBe(0);
    expect(JSON.parse(add.stdout)).toMatchObject({ id: tufKeyId(pub), name: 'ci-main', revoked: false });
    const list = await cli(['keys', 'list'], adminToken);
    expect(list.stdout).toMatch(/ci-main\s.*active/);
  });

  it('publishes an ONNX model with a models:publish token, and the stored metadata verifies on its own', async () => {
    const args = ['models', 'publish', 'mlp.onnx', '--model', 'mlp', '--version', '1.0.0', '--key', 'publisher.key'];
    writeFileSync(path('in.json'), JSON.stringify({ X: [[1, 0.5, -2, 3]] }));
    writeFileSync(path('out.json'), JSON.stringify({ Y: [[0.25, 0, 1.5]] }));
    const smoke = ['--sample-input', 'in.json', '--expected-output', 'out.json', '--tolerance', '0.001'];
    const extra = [
      '--metric',
      'accuracy=0.931',
      '--changelog',
      'first cut',
      '--source-commit',
      'abc123',
      ...smoke,
      '--json',
    ];
    const run = await cli([...args, ...extra], publishToken);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { versionId: string; sha256: string; published: boolean };
    const { sha256, length } = await hashFile(modelFile);
    expect(out).toMatchObject({ model: 'mlp', version: '1.0.0', sha256, sizeBytes: length, published: true });

    // Independent check: the signed bytes as stored, against the publisher's public key file alone.
    const row = await t.db.modelVersion.findUniqueOrThrow({ where: { id: out.versionId } });
    const metadata = Metadata.fromJSON(MetadataKind.Targets, JSON.parse(row.signedMetadata));
    const pub = JSON.parse(readFileSync(path('publisher.key.pub'), 'utf8'));
    Key.fromJSON(tufKeyId(pub), pub).verifySignature(metadata);
    const target = metadata.signed.targets['models/mlp/1.0.0/onnx-cpu-fp32'];
    expect(target).toMatchObject({ length, hashes: { sha256 } });
    expect(target?.custom).toMatchObject({
      model: 'mlp',
      version: '1.0.0',
      tensors: {
        inputs: [{ name: 'X', dtype: 'float32', shape: ['batch', 4] }],
        outputs: [{ name: 'Y', dtype: 'float32', shape: ['batch', 3] }],
      },
      smokeTest: {
        input: {
          X: {
            dtype: 'float32',
            shape: [1, 4],
            data: Buffer.from(new Float32Array([1, 0.5, -2, 3]).buffer).toString('base64'),
          },
        },
        expectedOutput: { Y: { dtype: 'float32', shape: [1, 3] } },
        tolerance: '0.001',
      },
      card: { framework: 'edgefleet-test', opset: 17, metrics: { accuracy: '0.931' }, sourceCommit: 'abc123' },
    });

    // Download with Range, as a device resuming would.
    const res = await fetch(`${server.url}/api/registry/artifacts/${sha256}`, {
      headers: { authorization: `Bearer ${readToken}`, range: 'bytes=10-' },
    });
    expect(res.status).toBe(206);
    expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(modelFile).subarray(10))).toBe(true);
  });

  it('prints plain progress lines when not on a terminal', async () => {
    writeFileSync(path('mlp2.onnx'), buildTestOnnxModel({ seed: 2 }));
    const run = await cli(
      ['models', 'publish', 'mlp2.onnx', '--model', 'mlp', '--version', '1.1.0', '--key', 'publisher.key'],
      publishToken,
    );
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toMatch(/^mver_/);
    expect(run.stderr).toMatch(/uploaded 100%\n/);
    expect(run.stderr).not.toMatch(/\r/);
  });

  it('lists and shows models', async () => {
    const list = await cli(['models', 'list'], readToken);
    expect(list.stdout).toMatch(/mlp\s+1\.1\.0\s+2/);
    const show = await cli(['models', 'show', 'mlp', '--version', '1.0.0'], readToken);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/1\.0\.0 .*\n.*signature verified ✓, key ci-main/);
    expect(show.stdout).toMatch(/input\s+X\s+float32\s+\[batch, 4\]/);
    expect(show.stdout).not.toMatch(/1\.1\.0/);
    const missing = await cli(['models', 'show', 'mlp', '--version', '9.9.9'], readToken);
    expect(missing.code).toBe(1);
  });

  const publish = (file: string, version: string, token = publishToken, extra: string[] = []) =>
    cli(['models', 'publish', file, '--model', 'mlp', '--version', version, '--key', 'publisher.key', ...extra], token);

  it.each([
    ['the same version twice', () => publish('mlp.onnx', '1.0.0'), 1, /already published; versions are immutable/],
    [
      'a token without models:publish',
      () => publish('mlp.onnx', '2.0.0', readToken),
      1,
      /Missing scope models:publish/,
    ],
    ['a non-ONNX file', () => publish('notes.onnx', '2.0.0'), 1, /notes\.onnx is not an ONNX model/],
    ['a 0-byte file', () => publish('empty.onnx', '2.0.0'), 1, /empty \(0 bytes\)/],
    ['a bad semver', () => publish('mlp.onnx', 'v2'), 2, /--version: version must be semver/],
    [
      'a path-traversal model name',
      () =>
        cli(
          ['models', 'publish', 'mlp.onnx', '--model', '../x', '--version', '2.0.0', '--key', 'publisher.key'],
          publishToken,
        ),
      2,
      /--model: model names are/,
    ],
    [
      'a key unknown to the server',
      () =>
        cli(
          ['models', 'publish', 'mlp.onnx', '--model', 'mlp', '--version', '2.0.0', '--key', 'stranger.key'],
          publishToken,
        ),
      1,
      /publish refused \(403\)/,
    ],
    [
      'a metric that is no number',
      () => publish('mlp.onnx', '2.0.0', publishToken, ['--metric', 'acc=high']),
      2,
      /--metric acc: a decimal number/,
    ],
  ])('refuses %s with one line, a non-zero code, and no change', async (_name, run, code, message) => {
    writeFileSync(path('notes.onnx'), 'these are not weights\n');
    writeFileSync(path('empty.onnx'), '');
    await cli(['keys', 'generate', '--out', 'stranger.key'], '');
    const before = await versionCount();
    const r = await run();
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(await versionCount()).toBe(before);
  });

  it('refuses to publish with a revoked key', async () => {
    const revoke = await cli(['keys', 'revoke', 'ci-main'], adminToken);
    expect(revoke.code).toBe(0);
    const r = await publish('mlp.onnx', '3.0.0');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/publish refused \(403\).*revoked/);
    const show = await cli(['models', 'show', 'mlp'], readToken);
    expect(show.stdout).toMatch(/key ci-main \(REVOKED\)/);
  });
});
