import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

export interface Measurement {
  /** e.g. "upload + verify 1 GiB" */
  name: string;
  unit: string;
  runs: number[];
}

export interface BenchResult {
  title: string;
  /** The command that reproduces the figures. */
  command: string;
  measurements: Measurement[];
  /** Measured in the same run, on the same data: what the ratio is taken against. */
  reference?: Measurement;
  /** Which measurement the ratio compares with the reference. */
  ratioOf?: string;
  notes?: string[];
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

export function machine(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, ${process.platform}`;
}

/** Peak resident set size of a live process, from /proc (Linux): VmHWM, in MiB. */
export function peakRssMiB(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

export function rssMiB(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** Runs a command; resolves with wall time and the peak RSS seen while it ran (polled every 20 ms). */
export function timed(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ seconds: number; peakMiB: number; stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let peak = 0;
    let stdout = '';
    let stderr = '';
    const poll = setInterval(() => {
      const p = child.pid ? peakRssMiB(child.pid) : null;
      if (p) peak = Math.max(peak, p);
    }, 20);
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => {
      clearInterval(poll);
      resolve({
        seconds: Number(process.hrtime.bigint() - start) / 1e9,
        peakMiB: peak,
        stdout,
        stderr,
        code: code ?? -1,
      });
    });
  });
}

const fmt = (x: number) =>
  x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 0.1 || x === 0 ? x.toFixed(2) : x.toPrecision(2);

export function renderMarkdown(results: BenchResult[], when: Date): string {
  const lines = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` on ${when.toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
    `Machine: ${machine()}.`,
    '',
    'Each figure is the median of the runs shown. These machines are shared and noisy, so each',
    'benchmark also measures a reference in the same run and reports the ratio against it.',
    '',
  ];
  for (const r of results) {
    lines.push(
      `## ${r.title}`,
      '',
      `Command: \`${r.command}\``,
      '',
      '| measurement | median | runs |',
      '| --- | --- | --- |',
    );
    for (const m of [
      ...r.measurements,
      ...(r.reference ? [{ ...r.reference, name: `reference: ${r.reference.name}` }] : []),
    ]) {
      lines.push(`| ${m.name} | ${fmt(median(m.runs))} ${m.unit} | ${m.runs.map(fmt).join(', ')} |`);
    }
    const of = r.measurements.find((m) => m.name === r.ratioOf);
    if (r.reference && of) {
      lines.push(
        '',
        `Ratio ${of.name} / ${r.reference.name}: **${(median(of.runs) / median(r.reference.runs)).toFixed(2)}×**`,
      );
    }
    if (r.notes?.length) lines.push('', ...r.notes.map((n) => `- ${n}`));
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

/**
 * `previous` with the sections (`## title`) of `partial` put in place of those with the same
 * title (new ones appended), and a line under the header saying which were re-measured, when,
 * by what command.
 */
export function mergeMarkdown(previous: string, partial: string, command: string): string {
  const split = (md: string) => {
    const [head = '', ...sections] = md.split(/\n(?=## )/);
    return { head, sections: sections.map((s) => s.replace(/\n+$/, '\n')) };
  };
  const title = (section: string) => section.split('\n', 1)[0] ?? '';
  const old = split(previous);
  const fresh = split(partial);
  const sections = [...old.sections];
  for (const section of fresh.sections) {
    const i = sections.findIndex((s) => title(s) === title(section));
    if (i >= 0) sections[i] = section;
    else sections.push(section);
  }
  const when = /Written by `npm run bench` on ([^.]+)\./.exec(partial)?.[1] ?? new Date().toISOString();
  const note = `Re-measured on ${when} by \`${command}\`: ${fresh.sections.map((s) => `"${title(s).slice(3)}"`).join(', ')}.`;
  const head = old.head.replace(/\nRe-measured on [^\n]*\n/g, '\n');
  const withNote = head.replace(/(Machine: [^\n]*\n)/, `$1${note}\n`);
  return `${[withNote.replace(/\n+$/, '\n'), ...sections].join('\n')}`;
}
