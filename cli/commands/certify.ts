import { defineCommand } from 'citty';
import { createPrivateKey } from 'node:crypto';
import { join } from 'node:path';
import { CaError } from '../../lib/ca/errors';
import { prepareEnrollment, readEnrollmentToken, verifyEnrollment, type SignResponse } from '../../lib/enroll/client';
import { colonHex } from '../../lib/pki/encoding';
import { exportPkcs8 } from '../../lib/pki/keys';
import { guard, replaceFile, writableFolder } from '../_shared';
import { keySpecFromFlags, postToCa } from '../ca-client';

export default defineCommand({
  meta: { name: 'certify', description: 'On a node: make a key here, enroll it with a token, and write root_ca.crt, NAME.crt and NAME.key' },
  args: {
    name: { type: 'string', alias: 'n', required: true, description: 'the name the token was minted for' },
    token: { type: 'string', alias: 't', required: true, description: 'the enrollment token' },
    'certs-path': { type: 'string', alias: 'c', default: './cert', description: 'where to write the files (default ./cert)' },
    'ca-path': { type: 'string', alias: 'p', description: 'accepted for `fx pki certify` compatibility; unused' },
    kty: { type: 'string', default: 'EC', description: 'key type: EC (default) or RSA' },
    curve: { type: 'string', description: 'EC curve: P-256, P-384 (default) or P-521' },
    size: { type: 'string', description: 'RSA size: 2048 (default), 3072 or 4096' },
  },
  run: ({ args }) =>
    guard(async () => {
      const token = await readEnrollmentToken(args.token);
      if (token.claims.sub.toLowerCase() !== args.name.toLowerCase()) {
        throw new CaError('bad_request', `token subject '${token.claims.sub}' and argument '${args.name}' do not match`);
      }
      const spec = keySpecFromFlags({ kty: args.kty, curve: args.curve, size: args.size }, 'EC-P384');
      // Before the token is spent: afterwards a folder that cannot be written loses the key.
      const dir = writableFolder(args['certs-path']);
      process.stderr.write(`Enrolling ${token.claims.sub} with ${token.caOrigin} (root ${colonHex(token.rootFingerprint).slice(0, 23)}…), ${spec} key made here\n`);
      const prepared = await prepareEnrollment(token, spec);
      const response = await postToCa<SignResponse>({
        origin: token.caOrigin,
        path: '/sign',
        body: { csr: prepared.csrPem, ott: token.jwt, notBefore: '', notAfter: '' },
        rootPem: token.rootPem,
        unreachableHint: 'Is FedPKI running there, and does its certificate chain to the token\'s root?',
      });
      const result = await verifyEnrollment(token, prepared, response);

      const pkcs8 = Buffer.from(await exportPkcs8(prepared.keys.privateKey));
      const keyObject = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
      // The formats step writes: SEC1 "EC PRIVATE KEY" or PKCS#1 "RSA PRIVATE KEY", unencrypted, 0600.
      const keyPem = keyObject.export({ type: spec.startsWith('EC') ? 'sec1' : 'pkcs1', format: 'pem' }) as string;
      replaceFile(join(dir, 'root_ca.crt'), result.rootPem, 0o644);
      replaceFile(join(dir, `${args.name}.crt`), result.chainPem);
      replaceFile(join(dir, `${args.name}.key`), keyPem);
      process.stderr.write(`Certificate ${result.serialNumber} valid until ${result.notAfter.toISOString()}\nWrote ${join(dir, 'root_ca.crt')}, ${args.name}.crt and ${args.name}.key\n`);
    }),
});
