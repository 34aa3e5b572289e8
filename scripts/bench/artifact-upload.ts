import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findRepoRoot } from '@edgefleet/config/env';
import { writeLargeTestModel } from '@edgefleet/onnx/testing';
import { type BenchResult, type Measurement, peakRssMiB, rssMiB, timed } from './lib.ts';

const root = findRepoRoot();
const CLI = join(root, 'packages/cli/bin/edgefleet.js');
const PORT = 3395;
const ADMIN = { email: 'bench@edgefleet.test', password: 'bench-password-123' };

/** The control plane as `npm start` runs it, on its own ports and data dir. */
async function startControlPlane(dataDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: root,
    env: {
      ...process.env,
      EDGEFLEET_DATA_DIR: dataDir,
      PORT: String(PORT),
      EDGEFLEET_DEVICE_PORT: '8495',
      EDGEFLEET_MQTT_PORT: '8895',
      EDGEFLEET_METRICS_PORT: '0',
      EDGEFLEET_ADMIN_EMAIL: ADMIN.email,
      EDGEFLEET_ADMIN_PASSWORD: ADMIN.password,
      DATABASE_URL: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  for (let i = 0; i < 900 && !out.includes('ready — press Ctrl-C'); i++) {
    if (child.exitCode !== null) throw new Error(`control plane exited:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  if (!out.includes('ready')) throw new Error(`control plane did not start:\n${out}`);
  return child;
}

/** The web server process (the launcher's child running apps/web/server.ts): it receives uploads. */
function webPid(launcher: ChildProcess): number {
  const children = readFileSync(`/proc/${launcher.pid}/task/${launcher.pid}/children`, 'utf8').trim().split(/\s+/);
  for (const pid of children.map(Number)) {
    if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('apps/web/server.ts')) return pid;
  }
  throw new Error('web server process not found');
}

export const artifactUpload = {
  name: 'artifact upload and verify',
  async run({ smoke }: { smoke: boolean }): Promise<BenchResult> {
    const bytes = smoke ? 8 * 2 ** 20 : 2 ** 30;
    const runs = smoke ? 1 : 3;
    const dir = mkdtempSync(join(tmpdir(), 'ef-bench-'));
    const launcher = await startControlPlane(join(dir, 'data'));
    try {
      const env = { ...process.env, EDGEFLEET_URL: `http://127.0.0.1:${PORT}`, EDGEFLEET_CONFIG_DIR: join(dir, 'cli') };
      const cli = async (args: string[], extra: NodeJS.ProcessEnv = {}) => {
        const r = await timed(process.execPath, [CLI, ...args], { ...env, ...extra });
        if (r.code !== 0) throw new Error(`edgefleet ${args.join(' ')} failed: ${r.stderr}`);
        return r;
      };
      await cli(['login', '--email', ADMIN.email, '--password', ADMIN.password]);
      const key = join(dir, 'publisher.key');
      await cli(['keys', 'generate', '--out', key]);
      await cli(['keys', 'add', '--public', `${key}.pub`, '--name', 'bench']);
      const { token } = JSON.parse(
        (await cli(['tokens', 'create', '--name', 'bench', '--scope', 'models:publish', '--json'])).stdout,
      ) as { token: string };

      const upload: Measurement = {
        name: `publish ${bytes / 2 ** 20} MiB (hash, sign, upload, verify)`,
        unit: 's',
        runs: [],
      };
      const cliPeak: Measurement = { name: 'CLI peak RSS', unit: 'MiB', runs: [] };
      const serverBefore: Measurement = { name: 'web server RSS before the upload', unit: 'MiB', runs: [] };
      const serverGrowth: Measurement = { name: 'web server peak RSS growth during the upload', unit: 'MiB', runs: [] };
      const reference: Measurement = { name: 'sha256sum of the same file', unit: 's', runs: [] };
      const web = webPid(launcher);
      for (let i = 0; i < runs; i++) {
        const model = join(dir, `model-${i}.onnx`);
        await writeLargeTestModel(model, bytes, i + 1);
        reference.runs.push((await timed('sha256sum', [model])).seconds);
        // Reset the server's peak RSS counter so the figure is this upload's, not start-up's.
        writeFileSync(`/proc/${web}/clear_refs`, '5');
        const before = rssMiB(web) ?? Number.NaN;
        serverBefore.runs.push(before);
        const r = await cli(
          ['models', 'publish', model, '--model', 'bench-large', '--version', `1.0.${i}`, '--key', key],
          {
            EDGEFLEET_TOKEN: token,
          },
        );
        upload.runs.push(r.seconds);
        cliPeak.runs.push(r.peakMiB);
        serverGrowth.runs.push((peakRssMiB(web) ?? Number.NaN) - before);
        rmSync(model);
      }
      const stored = readdirSync(join(dir, 'data', 'artifacts'), { recursive: true }).length;
      return {
        title: `Artifact upload: ${bytes / 2 ** 20} MiB ONNX model through the CLI`,
        command: smoke ? 'npm run bench -- --smoke' : 'npm run bench',
        measurements: [upload, cliPeak, serverBefore, serverGrowth],
        reference,
        ratioOf: upload.name,
        notes: [
          'The model is generated locally (a valid ONNX graph whose weights fill the file); each run uses new bytes.',
          'Peak RSS is VmHWM from /proc, polled every 20 ms for the CLI; the server counter is reset before each upload.',
          `Artifact store entries after the runs: ${stored}.`,
        ],
      };
    } finally {
      launcher.kill('SIGTERM');
      await new Promise((r) => launcher.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
