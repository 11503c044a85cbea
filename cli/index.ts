/**
 * `fedpki` — the same verbs as OpenFL's `fx pki` (install, run, get-token, certify,
 * uninstall) plus account and lifecycle commands. Each verb is a thin adapter over
 * lib/ca (or, for certify, lib/enroll); commands load lazily.
 *
 * citty parses the command line; this checks it first for options the command does
 * not have (which citty would ignore), and turns citty's usage errors into the CLI's
 * convention: one line on stderr and exit code 2 (README, "The CLI").
 */

import { defineCommand, runCommand, runMain, type ArgsDef, type CommandDef } from 'citty';
import { nearestOption, unknownOptions } from './options';

const main = defineCommand({
  meta: { name: 'fedpki', description: 'Certificate authority for federated-learning federations' },
  subCommands: {
    install: () => import('./commands/install').then((m) => m.default),
    run: () => import('./commands/run').then((m) => m.default),
    'get-token': () => import('./commands/get-token').then((m) => m.default),
    certify: () => import('./commands/certify').then((m) => m.default),
    renew: () => import('./commands/renew').then((m) => m.default),
    revoke: () => import('./commands/revoke').then((m) => m.default),
    list: () => import('./commands/list').then((m) => m.default),
    uninstall: () => import('./commands/uninstall').then((m) => m.default),
    federation: () => import('./commands/federation').then((m) => m.default),
    user: () => import('./commands/user').then((m) => m.default),
    migrate: () => import('./commands/migrate').then((m) => m.default),
    export: () => import('./commands/export').then((m) => m.default),
    import: () => import('./commands/import').then((m) => m.default),
  },
});

type AnyCommand = CommandDef<ArgsDef>;
const resolve = async <T>(v: T | (() => T | Promise<T>) | Promise<T> | undefined): Promise<T | undefined> => (typeof v === 'function' ? (v as () => T | Promise<T>)() : v);

/** The command the arguments name (following subcommands), the arguments left for it, and its path. */
async function leafCommand(root: AnyCommand, rawArgs: string[]): Promise<{ cmd: AnyCommand; rest: string[]; path: string[]; unknown?: { name: string; known: string[] } }> {
  let cmd = root;
  let rest = rawArgs;
  const path: string[] = [];
  for (;;) {
    const subs = (await resolve(cmd.subCommands)) as Record<string, AnyCommand | (() => Promise<AnyCommand>)> | undefined;
    if (!subs || Object.keys(subs).length === 0) break;
    const at = rest.findIndex((a) => !a.startsWith('-'));
    const sub = at >= 0 ? subs[rest[at]!] : undefined;
    // A word that is no command here is named as such (not as the options after it).
    if (!sub && at >= 0 && path.length > 0) return { cmd, rest, path, unknown: { name: rest[at]!, known: Object.keys(subs) } };
    if (!sub) break; // citty says which command is unknown or missing
    path.push(rest[at]!);
    cmd = (await resolve(sub))!;
    rest = rest.slice(at + 1);
  }
  return { cmd, rest, path };
}

function usageError(message: string, path: string[]): void {
  // citty colours the names in its messages; a line on stderr is read as text.
  const plain = message.replace(/\x1b\[[0-9;]*m/g, '').replace(/\.$/, '');
  process.stderr.write(`fedpki: ${plain}. See fedpki ${[...path, '--help'].join(' ')}\n`);
  process.exitCode = 2;
}

async function cli(rawArgs: string[]): Promise<void> {
  // --help, and no command at all: citty's usage screen.
  if (rawArgs.length === 0 || rawArgs.includes('--help') || rawArgs.includes('-h')) {
    await runMain(main, { rawArgs: rawArgs.length ? rawArgs : ['--help'] });
    return;
  }
  const { cmd, rest, path, unknown: unknownCommand } = await leafCommand(main as AnyCommand, rawArgs);
  if (unknownCommand) {
    usageError(`${path.join(' ')} has no command ${unknownCommand.name} (its commands: ${unknownCommand.known.join(', ')})`, path);
    return;
  }
  const argsDef = ((await resolve(cmd.args)) ?? {}) as Record<string, { type?: string; alias?: string | string[] }>;
  const unknown = unknownOptions(argsDef, rest);
  if (unknown.length) {
    const near = nearestOption(argsDef, unknown[0]!);
    usageError(`${path.length ? `${path.join(' ')} has no option` : 'unknown option'} ${unknown[0]}${near ? ` (did you mean ${near}?)` : ''}`, path);
    return;
  }
  try {
    await runCommand(main, { rawArgs });
  } catch (e) {
    if ((e as Error)?.name === 'CLIError') usageError((e as Error).message, path);
    else {
      process.stderr.write(`fedpki: ${(e as Error)?.message ?? String(e)}\n`);
      if (process.env.FEDPKI_DEBUG) process.stderr.write(`${(e as Error)?.stack}\n`);
      process.exitCode = 1;
    }
  }
}

// `fedpki list | head`: the reader has gone, and what is left to print is not wanted.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

void cli(process.argv.slice(2));
