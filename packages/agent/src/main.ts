import { Command, CommanderError } from 'commander';
import { registerEnrollCommand } from './commands/enroll.ts';
import { registerModelsCommand } from './commands/models.ts';
import { registerRunCommand } from './commands/run.ts';
import { registerStatusCommand } from './commands/status.ts';
import { AgentError, errorMessage } from './errors.ts';
import { AGENT_VERSION } from './facts.ts';
import { type AgentIo, processIo } from './io.ts';

export function buildProgram(io: AgentIo = processIo): Command {
  const program = new Command('edgefleet-agent')
    .description(
      'EdgeFleet device agent: enroll this device, keep it connected to the control plane, ' +
        'and install and serve the models it assigns',
    )
    .version(AGENT_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride();
  registerEnrollCommand(program, io);
  registerRunCommand(program, io);
  registerStatusCommand(program, io);
  registerModelsCommand(program, io);
  for (const cmd of program.commands) {
    cmd.exitOverride().configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  }
  return program;
}

/** Runs the agent CLI; returns the exit code. Every failure is one line on stderr. */
export async function main(argv: string[], io: AgentIo = processIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    const exitCode = e instanceof AgentError ? e.exitCode : 1;
    io.err(`edgefleet-agent: ${errorMessage(e)}`);
    return exitCode;
  }
}
