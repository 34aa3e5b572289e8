import { Command, CommanderError } from 'commander';
import { describeError } from './client.ts';
import { registerAlertCommands } from './commands/alerts.ts';
import { registerAuthCommands } from './commands/auth.ts';
import { registerDeviceCommands } from './commands/devices.ts';
import { registerEnrollTokenCommands } from './commands/enroll-tokens.ts';
import { registerGroupCommands } from './commands/groups.ts';
import { registerHealthCommand } from './commands/health.ts';
import { registerKeyCommands } from './commands/keys.ts';
import { registerModelCommands } from './commands/models.ts';
import { registerPinCommands } from './commands/pins.ts';
import { registerRolloutCommands } from './commands/rollouts.ts';
import { registerTokenCommands } from './commands/tokens.ts';
import { CliError, DEFAULT_URL } from './context.ts';

export function buildProgram(argv: string[] = []): Command {
  const program = new Command('edgefleet').description(
    'EdgeFleet command line: operate the fleet and publish models from CI',
  );
  program
    .option('--url <url>', `control plane URL (env EDGEFLEET_URL, default ${DEFAULT_URL})`)
    .option('--token <token>', 'API token (env EDGEFLEET_TOKEN, default: the one `login` stored)')
    .option('--json', 'print machine-readable JSON')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerAuthCommands(program);
  registerTokenCommands(program);
  registerEnrollTokenCommands(program);
  registerDeviceCommands(program);
  registerGroupCommands(program);
  registerKeyCommands(program);
  registerModelCommands(program);
  registerRolloutCommands(program);
  registerPinCommands(program);
  registerHealthCommand(program);
  registerAlertCommands(program);
  for (const cmd of program.commands) cmd.exitOverride();
  // Commander would read `--version` anywhere as the program's own flag, but after a subcommand
  // it is that command's option (`models publish --version 1.2.0`): only offer it without one.
  const names = new Set(program.commands.map((c) => c.name()));
  if (!argv.slice(2).some((a) => names.has(a))) program.version('0.1.0');
  return program;
}

/** Runs the CLI; returns the exit code. Every failure is one line on stderr. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram(argv);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit through here with code 0; usage errors were printed already.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof CliError) {
      process.stderr.write(`edgefleet: ${e.message}\n`);
      return e.exitCode;
    }
    const url = program.opts<{ url?: string }>().url ?? process.env.EDGEFLEET_URL ?? DEFAULT_URL;
    process.stderr.write(`edgefleet: ${describeError(e, url)}\n`);
    return 1;
  }
}
