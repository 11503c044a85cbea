/** Security-suite figures (inputs tried, faults survived) written for the README table. */

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths';

export function recordFigures(name: string, figures: Record<string, unknown>): void {
  const dir = join(ROOT, 'test-results', 'security');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify({ name, at: new Date().toISOString(), ...figures }, null, 2)}\n`);
}
