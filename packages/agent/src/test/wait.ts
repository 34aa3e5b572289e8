type Check<T> = () => T | undefined | false | null | Promise<T | undefined | false | null>;

/**
 * `until(what, check)` polls `check` until it returns something truthy, or fails after the
 * timeout with `what` and the diagnostics `context()` gives (agent log, broker log, …).
 */
export function waiter(context: () => string, defaultMs = 15_000) {
  return async function until<T>(what: string, check: Check<T>, ms = defaultMs): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await check();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; ${context()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
}
