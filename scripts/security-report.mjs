// Prints the security suite's figures (test-results/security/*.json, written by the
// tests in test/integration/security and test/e2e) as the Markdown table the README shows.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(fileURLToPath(new URL('..', import.meta.url)), 'test-results', 'security');
if (!existsSync(dir)) {
  console.error('No figures yet: run `npm test` first.');
  process.exit(1);
}
const figures = Object.fromEntries(
  readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => {
      const j = JSON.parse(readFileSync(join(dir, f), 'utf8'));
      return [j.name, j];
    }),
);
const rows = [];
const add = (area, tried, held) => rows.push(`| ${area} | ${tried} | ${held} |`);
const f = figures;
if (f.fuzz) add('Fuzzing `/sign`', `${f.fuzz.requests.toLocaleString('en-US')} requests: ${f.fuzz.csrMutations} mutated CSRs, ${f.fuzz.tokenMutations} mutated tokens, ${f.fuzz.wrongShapes} malformed bodies`, `every answer a JSON 4xx (${Object.entries(f.fuzz.statuses).map(([s, n]) => `${n}× ${s}`).join(', ')}); RSS ${f.fuzz.rssBeforeMiB} → ${f.fuzz.rssAfterMiB} MiB; still issuing`);
if (f.race) add('Token race', `${f.race.submissions} concurrent submissions of one token`, `${f.race.issued} certificate, ${f.race.refused} token_used, ${f.race.audited} audit entries`);
if (f['slow-clients']) add('Slow clients', 'headers and body dribbled a byte at a time', `cut after ${(f['slow-clients'].headersCutAfterMs / 1000).toFixed(1)} s and ${(f['slow-clients'].bodyCutAfterMs / 1000).toFixed(1)} s`);
if (f.connections) add('Connections', `${f.connections.simultaneous} simultaneous TLS connections`, `${f.connections.answered} answered`);
if (f.sigkill) add('SIGKILL mid-load', `${f.sigkill.enrollments} enrollments, killed after ${f.sigkill.killedAfterAnswers} answers`, `integrity_check ${f.sigkill.integrity}; all ${f.sigkill.clientsGivenCertificates} certificates clients received are stored; ${f.sigkill.consumedButUnanswered} consumed-but-unanswered tokens; ${f.sigkill.pendingReissuedAfterRestart} pending tokens used after restart`);
if (f['disk-full']) add('Disk full (tmpfs)', 'issuance with no space left', `503 with the reason, integrity_check ${f['disk-full'].integrity}, resumes when space returns`);
if (f['read-only']) add('Read-only database file', 'issuance with the file immutable', `503 with the reason, integrity_check ${f['read-only'].integrity}, resumes afterwards`);
if (f.secrets) add('Secrets at rest and in logs', `${f.secrets.keysChecked} CA keys × ${f.secrets.encodingsPerKey} encodings, tokens and passwords, over ${f.secrets.filesSearched} data files and ${f.secrets.logBytes.toLocaleString('en-US')} bytes of debug log`, `${f.secrets.found} found in ${f.secrets.searches} searches`);
if (f['forwarded-headers']) {
  const h = f['forwarded-headers'];
  add('Forged proxy headers', `${h.spoofedRequests} requests with forged X-Forwarded-For/-Host/-Proto or x-fedpki-client-ip; a client's own entries before the proxy's; ${h.middlewareBypassTried} x-middleware-subrequest bypass attempts; ${h.nonceForgeries} forged x-nonce headers`, `${h.spoofedHonoured} forged addresses or origins believed (the real peer, or the proxy's own entry, audited); every bypass attempt sent to sign-in; no forged nonce in a CSP`);
}
if (f['tracked-files']) add('Keys in the repository', `every one of the ${f['tracked-files'].trackedFiles} tracked files, for key armour with a key-sized body, key-file names and database files`, `${f['tracked-files'].found} found: tests make their keys when they run, fixtures are public material but for one older release's two database dumps (SQLite, PostgreSQL), whose test CA keys are only ever encrypted, under the tests' password`);
for (const j of Object.values(f)) if (j.row) add(j.row.area, j.row.tried, j.row.held);
console.log('| Area | Tried | Held |\n|---|---|---|');
console.log(rows.join('\n'));
