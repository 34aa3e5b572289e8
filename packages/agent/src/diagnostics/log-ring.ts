import type { Clock, Log } from '../runtime.ts';

/** Lines that read like something went wrong; the agent logs prose, not levels. */
const ERROR_LINE =
  /\b(errors?|fail(s|ed|ure)?|cannot|can't|refused|invalid|not delivered|not sent|rejected|crash(ed|es)?|timed out|no acknowledgement|stopped:)\b/i;

const MAX_LINE = 2000;

/**
 * The agent's recent log in memory, for diagnostics bundles: the last `lines` lines, and the last
 * `errors` of them that read like errors (kept apart, so a chatty hour does not push them out).
 * Bounded in count and line length, so it costs at most a megabyte or so.
 */
export class LogRing {
  private readonly tail: string[] = [];
  private readonly errorLines: { ts: string; message: string }[] = [];

  constructor(
    private readonly clock: Pick<Clock, 'now'> = { now: () => new Date() },
    private readonly limits = { lines: 500, errors: 100 },
  ) {}

  /** A Log that records each line here, then hands it on. */
  wrap(next: Log): Log {
    return (line) => {
      this.add(line);
      next(line);
    };
  }

  add(line: string): void {
    const ts = this.clock.now().toISOString();
    const message = line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}…` : line;
    push(this.tail, `${ts} ${message}`, this.limits.lines);
    if (ERROR_LINE.test(line)) push(this.errorLines, { ts, message }, this.limits.errors);
  }

  /** Oldest first. */
  lines(): string[] {
    return [...this.tail];
  }

  errors(): { ts: string; message: string }[] {
    return [...this.errorLines];
  }
}

function push<T>(list: T[], item: T, max: number) {
  list.push(item);
  if (list.length > max) list.splice(0, list.length - max);
}
