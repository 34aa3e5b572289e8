// One process per data dir: PGlite has no postmaster to refuse a second opener, and two wasm
// backends writing the same files would corrupt the cluster.
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `database in ${dataDir} is already open in process ${pid}; stop that process or point ` +
        'EDGEFLEET_DATA_DIR (or DATABASE_URL) elsewhere',
    );
    this.name = 'DataDirLockedError';
  }
}

export interface DataDirLock {
  release(): Promise<void>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the pid exists but belongs to another user, so it is alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes `<dataDir>/pgdata.lock`, created exclusively and holding our pid. A lock whose pid is
 * dead (kill -9, power loss) is stale and taken over. The pid could have been reused by an
 * unrelated process after a crash; then the error names it and the operator removes the file.
 * Not airtight: two processes taking over the same stale lock in the same instant can both
 * win (remove-then-create is two steps); starting twice at once right after a crash is rare.
 */
export async function acquireDataDirLock(dataDir: string): Promise<DataDirLock> {
  const path = join(dataDir, 'pgdata.lock');
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          // Only remove the file if it is still ours (a stale-lock takeover may have replaced it).
          const owner = await readFile(path, 'utf8').catch(() => '');
          if (Number.parseInt(owner, 10) === process.pid) await rm(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const content = await readFile(path, 'utf8').catch(() => '');
    const pid = Number.parseInt(content, 10);
    // An empty file is a lock being written right now by another opener; retry shortly.
    if (Number.isNaN(pid)) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      if ((await readFile(path, 'utf8').catch(() => '')) !== content) continue;
    } else if (pid === process.pid || isAlive(pid)) {
      throw new DataDirLockedError(dataDir, pid);
    }
    await rm(path, { force: true });
  }
  throw new Error(`could not take the lock ${path}; remove it if no process uses ${dataDir}`);
}
