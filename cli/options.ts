/**
 * What citty lets through and a CA must not: an option the command does not have
 * (`--sans` for `--san`, `--pasword-file`) is ignored by the parser, so a token would
 * be minted without the name meant for it, or a server started without the setting.
 * The command line is checked against the command's own options first.
 */

interface ArgDef {
  type?: string;
  alias?: string | string[];
}

const camel = (s: string) => s.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The options a command's args accept, as written on a command line (without dashes). */
export function acceptedOptions(argsDef: Record<string, ArgDef>): Set<string> {
  const names = new Set<string>(['help', 'h']);
  for (const [name, def] of Object.entries(argsDef)) {
    if (def.type === 'positional') continue;
    for (const n of [name, camel(name), kebab(name), ...(Array.isArray(def.alias) ? def.alias : def.alias ? [def.alias] : [])]) {
      names.add(n);
      if (def.type === 'boolean') names.add(`no-${n}`);
    }
  }
  return names;
}

/** The options on `rawArgs` that `argsDef` does not accept, as written (`--sans`, `-x`). */
export function unknownOptions(argsDef: Record<string, ArgDef>, rawArgs: readonly string[]): string[] {
  const accepted = acceptedOptions(argsDef);
  const unknown: string[] = [];
  for (const arg of rawArgs) {
    if (arg === '--') break;
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) continue;
    const name = arg.replace(/^--?/, '').split('=')[0]!;
    // -abc: a group of one-letter flags
    const names = !arg.startsWith('--') && name.length > 1 && !accepted.has(name) ? [...name] : [name];
    for (const n of names) if (!accepted.has(n)) unknown.push(arg.startsWith('--') ? `--${n}` : `-${n}`);
  }
  return unknown;
}

/** The accepted long option nearest to `option` by edit distance, if it is close (a typo). */
export function nearestOption(argsDef: Record<string, ArgDef>, option: string): string | undefined {
  const wanted = option.replace(/^--?/, '');
  let best: { name: string; d: number } | undefined;
  for (const name of Object.keys(argsDef)) {
    if (argsDef[name]!.type === 'positional') continue;
    const d = distance(wanted, name);
    if (!best || d < best.d) best = { name, d };
  }
  return best && best.d <= Math.max(1, Math.floor(wanted.length / 4)) ? `--${best.name}` : undefined;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}
