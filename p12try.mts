import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);
import { generateKeyPair, exportPkcs8 } from './lib/pki/keys';
import { createPkcs12, readPkcs12 } from './lib/pki/pkcs12';
import { writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
const keys = await generateKeyPair('EC-P384');
const pk = await exportPkcs8(keys.privateKey);
// self-signed cert via openssl
writeFileSync('/tmp/k.der', pk);
execFileSync('openssl', ['req','-x509','-new','-key','/tmp/k.der','-keyform','DER','-subj','/CN=test','-days','1','-outform','DER','-out','/tmp/c.der']);
const cert = new Uint8Array(require('fs').readFileSync('/tmp/c.der'));
for (const mi of [2048, 100000, 600000]) {
  const t = performance.now();
  const p12 = await createPkcs12({ privateKey: pk, certificates: [cert], password: 'pässwörd 🔑', friendlyName: 'test', macIterations: mi });
  console.log(mi, performance.now() - t);
  writeFileSync('/tmp/t.p12', p12);
}
const t=performance.now(); const r = await readPkcs12(new Uint8Array(require('fs').readFileSync('/tmp/t.p12')), 'pässwörd 🔑'); console.log('read', performance.now()-t, r.privateKeys.length, r.certificates.length);
