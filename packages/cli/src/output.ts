/** Printing for people (aligned tables) or programs (--json), chosen once per command. */
export interface Output {
  json: boolean;
  data(value: unknown, human: () => void): void;
  info(line: string): void;
}

export function createOutput(json: boolean): Output {
  return {
    json,
    data(value, human) {
      if (json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
      else human();
    },
    info(line) {
      // Progress and hints go to stderr so stdout stays clean for pipes.
      if (!json) process.stderr.write(`${line}\n`);
    },
  };
}

export function table(rows: Record<string, string>[], columns: string[]): string {
  if (rows.length === 0) return '';
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...rows.map((r) => line(columns.map((c) => r[c] ?? '')))].join(
    '\n',
  );
}

export const when = (d: Date | string | null | undefined): string =>
  d ? new Date(d).toISOString().replace('T', ' ').slice(0, 16) : '-';
