/**
 * Children of the launcher stop when it dies, however it dies (even SIGKILL, which it cannot
 * forward): otherwise orphans would keep the ports and the next `npm start` could not bind.
 * The launcher passes its pid; when our parent changes, it is gone.
 */
export function exitWithLauncher(shutdown: () => void, launcherPid: number | undefined): void {
  if (!launcherPid) return;
  const expected = launcherPid;
  setInterval(() => {
    if (process.ppid !== expected) {
      console.error('[edgefleet] launcher is gone; shutting down');
      shutdown();
    }
  }, 500).unref();
}
