import { startServer } from './server';
import { runSigning } from './signing';

const spec = (process.argv[2] ?? 'EC-P256') as 'EC-P256';
const conc = Number(process.argv[3] ?? 16);
const n = Number(process.argv[4] ?? 2000);
const server = await startServer({ apiOnly: process.argv[5] !== 'full', nodeArgs: process.env.PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : [] });
console.log('start ms', server.startMs.toFixed(0));
try {
  for (let i = 0; i < Number(process.argv[6] ?? 1); i++) console.log(await runSigning(server, spec, conc, n));
} finally {
  await server.stop();
}
