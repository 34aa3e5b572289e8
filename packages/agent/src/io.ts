/** Where commands print; main() takes one so tests can capture output in-process. */
export interface AgentIo {
  out(line: string): void;
  err(line: string): void;
}

export const processIo: AgentIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};
