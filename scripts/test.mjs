// `npm test`: the unit, integration and browser tiers in order (or the tiers named on
// the command line), then one closing line "N passed, N failed, N skipped".
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const requested = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const extra = process.argv.slice(2).filter((a) => a.startsWith('-'));
const tiers = requested.length ? requested : ['unit', 'integ', 'e2e'];
const outDir = join(root, 'test-results');
mkdirSync(outDir, { recursive: true });

if (tiers.some((t) => t !== 'unit')) {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'ensure-build.mjs')], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const totals = { passed: 0, failed: 0, skipped: 0 };
let failedRun = false;
for (const tier of tiers) {
  const report = join(outDir, `${tier}.json`);
  rmSync(report, { force: true });
  process.stdout.write(`\n=== ${tier} tests ===\n`);
  const r = spawnSync(
    process.execPath,
    [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...extra],
    { cwd: root, stdio: 'inherit', env: { ...process.env, FEDPKI_TEST_TIER: tier } },
  );
  if (existsSync(report)) {
    const json = JSON.parse(readFileSync(report, 'utf8'));
    totals.passed += json.numPassedTests ?? 0;
    totals.failed += json.numFailedTests ?? 0;
    totals.skipped += (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
    // A file that fails before its tests run (an error in beforeAll, a missing fixture)
    // reports them as skipped: they count as failed here, so the line never says
    // "0 failed" for a red run.
    for (const file of json.testResults ?? []) {
      const tests = file.assertionResults ?? [];
      if (file.status !== 'failed' || tests.some((t) => t.status === 'failed')) continue;
      const notRun = tests.filter((t) => t.status === 'skipped' || t.status === 'pending').length;
      totals.failed += Math.max(notRun, 1);
      totals.skipped -= notRun;
    }
    if ((json.numTotalTests ?? 0) === 0) process.stdout.write(`(no ${tier} tests)\n`);
  }
  if (r.status !== 0) failedRun = true;
}
process.stdout.write(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
process.exit(failedRun || totals.failed > 0 ? 1 : 0);
