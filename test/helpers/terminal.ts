/**
 * Runs a command on a pseudo-terminal (util-linux `script`), the way a person would at
 * a shell, and answers its prompts as they appear.
 */

import { spawn, type ChildProcess } from 'node:child_process';

export interface Terminal {
  child: ChildProcess;
  output: () => string;
  /** Waits until the output (since the last match) matches, then returns it. */
  expect: (pattern: RegExp, timeoutMs?: number) => Promise<string>;
  type: (text: string) => void;
  exited: Promise<number>;
  kill: () => void;
}

export function runInTerminal(command: string, env: NodeJS.ProcessEnv, cwd: string): Terminal {
  const child = spawn('script', ['-qfec', command, '/dev/null'], { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let cursor = 0;
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString('utf8');
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
  return {
    child,
    output: () => out,
    expect: (pattern, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const rest = out.slice(cursor);
          const m = rest.match(pattern);
          if (!m) return false;
          cursor += (m.index ?? 0) + m[0].length;
          listeners.delete(check);
          clearTimeout(timer);
          resolve(m[0]);
          return true;
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${pattern}; output so far:\n${out}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      }),
    type: (text) => child.stdin!.write(text),
    exited,
    kill: () => child.kill('SIGTERM'),
  };
}
