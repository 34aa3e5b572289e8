import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The real `edgefleet` binary, as users run it. */
export const CLI_BIN = fileURLToPath(new URL('../../bin/edgefleet.js', import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as a child process and collects what it printed and its exit code. */
export function runCli(args: string[], opts: { cwd?: string; env: NodeJS.ProcessEnv }): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { cwd: opts.cwd, env: opts.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
