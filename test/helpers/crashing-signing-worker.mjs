/**
 * A signing thread that can be made to die, for test/integration/signing-pool.integ.ts:
 * the real thread (the built bundle), except that
 *   - a request whose token is "crash" throws outside any handler, which ends the thread
 *     as an uncaught error would, in every thread it reaches;
 *   - a request whose token is "crash-once:FILE" does so only while FILE exists, and
 *     removes it: the first thread dies, and in the next one it is an ordinary request
 *     (with a token that is not a token).
 * The bundle is imported first, statically, so its listener is in place before any
 * message is delivered (with this listener first, early messages would reach only it,
 * and be lost).
 */
import { rmSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import '../../dist/signing-worker.mjs';

parentPort?.on('message', (msg) => {
  if (msg.kind !== 'sign') return;
  const ott = msg.params.ott;
  if (ott === 'crash') throw new Error('a signing thread crash, on purpose');
  if (ott.startsWith('crash-once:')) {
    let removed = true;
    try {
      rmSync(ott.slice('crash-once:'.length));
    } catch {
      removed = false;
    }
    if (removed) throw new Error('a signing thread crash, on purpose, once');
  }
});
