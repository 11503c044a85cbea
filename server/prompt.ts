/** Terminal prompts, with hidden input for passwords (as `fx pki install` asks). */

import { createInterface } from 'node:readline';

export const isInteractive = (): boolean => Boolean(process.stdin.isTTY && process.stderr.isTTY);

export async function ask(question: string, fallback?: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await new Promise<string>((resolve) => rl.question(fallback ? `${question} [${fallback}]: ` : `${question}: `, resolve));
    return answer.trim() || fallback || '';
  } finally {
    rl.close();
  }
}

/** Reads a line without echoing it. */
export function askHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    let value = '';
    const wasRaw = stdin.isRaw;
    // Echo goes off before the prompt appears, or a quick typist's first keys are echoed.
    stdin.setRawMode?.(true);
    process.stderr.write(`${question}: `);
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (err?: Error) => {
      stdin.setRawMode?.(wasRaw ?? false);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new Error('cancelled'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** Asks twice until both answers match and the rule holds. */
export async function askNewPassword(label: string, minLength = 8): Promise<string> {
  for (;;) {
    const first = await askHidden(label);
    if (first.length < minLength) {
      process.stderr.write(`It needs at least ${minLength} characters.\n`);
      continue;
    }
    const second = await askHidden('Repeat it');
    if (first === second) return first;
    process.stderr.write('The two entries differ; try again.\n');
  }
}
