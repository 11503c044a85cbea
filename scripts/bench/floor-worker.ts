/**
 * For `threads.ts`: `floor.ts`'s crypto loop in a worker thread. Answers each
 * `{ curve, n }` with the loop's wall time per enrollment in µs. Started through
 * ts-thread.mjs.
 */
import { parentPort } from 'node:worker_threads';
import { cryptoFloorMicros, type FloorCurve } from './floor';

parentPort?.on('message', async ({ curve, n }: { curve: FloorCurve; n: number }) => parentPort!.postMessage(await cryptoFloorMicros(curve, n, 'wall')));
