/**
 * `floor.ts`'s crypto loop in a worker thread, for `threads.ts`: answers each
 * `{ curve, n }` with the loop's wall time per enrollment in µs.
 */
import { parentPort } from 'node:worker_threads';
import { floorFixture, nodeFloor, type FloorCurve } from './floor';

export async function floorWallMicros(curve: FloorCurve, n: number): Promise<number> {
  const f = floorFixture(curve);
  await nodeFloor(f, 300);
  const t0 = process.hrtime.bigint();
  await nodeFloor(f, n);
  return Number(process.hrtime.bigint() - t0) / 1000 / n;
}

parentPort?.on('message', async ({ curve, n }: { curve: FloorCurve; n: number }) => parentPort!.postMessage(await floorWallMicros(curve, n)));
