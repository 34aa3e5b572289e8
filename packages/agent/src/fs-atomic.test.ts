import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDir } from './data-dir.ts';
import { writeFileAtomic } from './fs-atomic.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agent-fs-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('replaces the content and leaves no temp files behind', async () => {
    const file = join(dir, 'a.json');
    await writeFileAtomic(file, 'one');
    await writeFileAtomic(file, 'two');
    expect(await readFile(file, 'utf8')).toBe('two');
    expect(await readdir(dir)).toEqual(['a.json']);
  });

  it('cleans up its temp file when the rename fails', async () => {
    const target = join(dir, 'taken');
    await mkdir(join(target, 'child'), { recursive: true });
    await expect(writeFileAtomic(target, 'data')).rejects.toThrow(); // a non-empty directory cannot be replaced
    expect(await readdir(dir)).toEqual(['taken']);
  });
});

describe('DataDir', () => {
  it('writes key.pem with mode 0600 even over a looser file, certificates 0644', async () => {
    const data = new DataDir(dir);
    await writeFile(data.path('key'), 'old', { mode: 0o644 });
    await data.write('key', 'KEY');
    await data.write('cert', 'CERT');
    expect((await stat(data.path('key'))).mode & 0o777).toBe(0o600);
    expect((await stat(data.path('cert'))).mode & 0o777).toBe(0o644);
    expect((await readdir(dir)).sort()).toEqual(['cert.pem', 'key.pem']);
  });

  it('round-trips identity.json and refuses a corrupt one clearly', async () => {
    const data = new DataDir(dir);
    expect(await data.readIdentity()).toBeNull();
    const identity = {
      v: 1 as const,
      deviceId: 'dev_abc',
      server: 'https://localhost:8443',
      mqtt: { host: 'localhost', port: 8883 },
      status: 'pending' as const,
      pollSecret: 's3cret',
      enrolledAt: new Date().toISOString(),
    };
    await data.writeIdentity(identity);
    expect(await data.readIdentity()).toEqual(identity);
    expect((await stat(data.path('identity'))).mode & 0o777).toBe(0o600); // holds the poll secret

    await writeFile(data.path('identity'), '{"v":1,"deviceId":');
    await expect(data.readIdentity()).rejects.toThrow(/identity\.json is corrupt \(not JSON\)/);
    await writeFile(data.path('identity'), JSON.stringify({ ...identity, status: 'happy' }));
    await expect(data.readIdentity()).rejects.toThrow(/identity\.json is corrupt at status/);
    await writeFile(data.path('identity'), JSON.stringify({ ...identity, server: 'http://plain:80' }));
    await expect(data.readIdentity()).rejects.toThrow(/corrupt at server/);
  });
});
