/**
 * A signing thread that can be made to die, for test/integration/signing-pool.integ.ts:
 * the real thread (the built bundle), except that a request whose token is "crash"
 * throws outside any handler, which ends the thread as an uncaught error would. The
 * bundle is imported first, statically, so its listener is in place before any message
 * is delivered (with this listener first, early messages would reach only it, and be lost).
 */
import { parentPort } from 'node:worker_threads';
import '../../dist/signing-worker.mjs';

parentPort?.on('message', (msg) => {
  if (msg.kind === 'sign' && msg.params.ott === 'crash') throw new Error('a signing thread crash, on purpose');
});
