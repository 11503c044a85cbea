/**
 * PKCS#12 files (RFC 7292) for people who import a certificate and its key in one
 * file (browsers, OS keychains, Java keystores):
 *
 *   PFX ::= SEQUENCE { version INTEGER {v3(3)}, authSafe ContentInfo, macData MacData OPTIONAL }
 *   AuthenticatedSafe ::= SEQUENCE OF ContentInfo  -- Data or EncryptedData holding SafeContents
 *
 * Built with pkijs, entirely on WebCrypto (it runs in the enrollment page). Both the key
 * bag and the certificate bags are encrypted with PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC,
 * RFC 8018 §6.2) — what OpenSSL 3 writes by default — and the whole is authenticated
 * with an HMAC-SHA256 MAC keyed by the RFC 7292 Appendix B KDF. OpenSSL 3.0 reads it
 * with `openssl pkcs12 -info -passin` (PBMAC1, RFC 9579, would need OpenSSL 3.4).
 */

import * as pkijs from 'pkijs';
import * as asn1js from 'asn1js';
import { getCrypto, sha256 } from './crypto';
import { toArrayBuffer, utf8 } from './encoding';
import { pkiEngine } from './engine';
import { DEFAULT_PBKDF2_ITERATIONS, decryptPrivateKey, encryptPrivateKey } from './pkcs8';
import * as OID from './oids';

/**
 * MAC iterations. A password can be tested against the MAC as well as against the
 * encrypted key, so the MAC must not be the cheaper target: each RFC 7292 KDF round is
 * one SHA-256 block against PBKDF2's two, so the same count leaves it at most 2× cheaper
 * (OpenSSL's default of 2,048 would make it ~600× cheaper). The KDF runs in JavaScript
 * inside pkijs (WebCrypto has none): ~2 s on the target machine.
 */
export const DEFAULT_MAC_ITERATIONS = DEFAULT_PBKDF2_ITERATIONS;

export interface Pkcs12CreateParams {
  /** The private key as PKCS#8 PrivateKeyInfo DER. */
  privateKey: Uint8Array;
  /** DER certificates, the key's own first, then its issuers. */
  certificates: readonly Uint8Array[];
  password: string;
  /** Shown by key stores next to the entry. Default is none. */
  friendlyName?: string;
  /** PBKDF2 iterations for the key and certificate bags. Default is 600,000. */
  iterations?: number;
  /** Iterations of the MAC KDF. Default is 600,000. */
  macIterations?: number;
}

function bmpString(text: string): asn1js.BmpString {
  return new asn1js.BmpString({ value: text });
}

/**
 * Builds a password-protected PKCS#12 file.
 * @returns the PFX in DER (a `.p12` file)
 * @example const p12 = await createPkcs12({ privateKey: pkcs8, certificates: [leaf, intermediate, root], password });
 */
export async function createPkcs12(params: Pkcs12CreateParams, crypto: Crypto = getCrypto()): Promise<Uint8Array> {
  if (!params.password) throw new TypeError('a password is required');
  if (params.certificates.length === 0) throw new TypeError('at least the certificate of the key is required');
  const engine = pkiEngine(crypto);
  const iterations = params.iterations ?? DEFAULT_PBKDF2_ITERATIONS;
  const password = toArrayBuffer(utf8(params.password));

  // localKeyID ties the key to its certificate, as OpenSSL and key stores expect.
  const keyId = await sha256(params.certificates[0]!, crypto);
  const attributes = (withKeyId: boolean): pkijs.Attribute[] => [
    ...(params.friendlyName && withKeyId ? [new pkijs.Attribute({ type: OID.pkcs_9_at_friendlyName, values: [bmpString(params.friendlyName)] })] : []),
    ...(withKeyId ? [new pkijs.Attribute({ type: OID.pkcs_9_at_localKeyId, values: [new asn1js.OctetString({ valueHex: toArrayBuffer(keyId) })] })] : []),
  ];

  const shrouded = await encryptPrivateKey(params.privateKey, params.password, { iterations }, crypto);
  const keyBag = new pkijs.SafeBag({
    bagId: OID.pkcs_12_pkcs8ShroudedKeyBag,
    bagValue: pkijs.PKCS8ShroudedKeyBag.fromBER(toArrayBuffer(shrouded)),
    bagAttributes: attributes(true),
  });
  const certBags = params.certificates.map(
    (der, i) =>
      new pkijs.SafeBag({
        bagId: OID.pkcs_12_certBag,
        bagValue: new pkijs.CertBag({ parsedValue: pkijs.Certificate.fromBER(toArrayBuffer(der)) }),
        bagAttributes: attributes(i === 0),
      }),
  );

  const authenticatedSafe = new pkijs.AuthenticatedSafe({
    parsedValue: {
      safeContents: [
        // The key bag is already encrypted: it goes in plain Data, as OpenSSL writes it.
        { privacyMode: 0, value: new pkijs.SafeContents({ safeBags: [keyBag] }) },
        { privacyMode: 1, value: new pkijs.SafeContents({ safeBags: certBags }) },
      ],
    },
  });
  await authenticatedSafe.makeInternalValues(
    {
      safeContents: [
        {},
        {
          password,
          contentEncryptionAlgorithm: { name: 'AES-CBC', length: 256 },
          hmacHashAlgorithm: 'SHA-256',
          iterationCount: iterations,
        },
      ],
    },
    engine,
  );

  const pfx = new pkijs.PFX({ parsedValue: { integrityMode: 0, authenticatedSafe } });
  await pfx.makeInternalValues(
    { password, iterations: params.macIterations ?? DEFAULT_MAC_ITERATIONS, pbkdf2HashAlgorithm: 'SHA-256', hmacHashAlgorithm: 'SHA-256' },
    engine,
  );
  return new Uint8Array(pfx.toSchema().toBER(false));
}

export interface Pkcs12Contents {
  /** PKCS#8 PrivateKeyInfo DER of each key bag. */
  privateKeys: Uint8Array[];
  certificates: Uint8Array[];
}

/**
 * Opens a PKCS#12 file made by `createPkcs12` (MAC checked, bags decrypted); used by
 * tests as a second reader beside OpenSSL.
 */
export async function readPkcs12(der: Uint8Array, password: string, crypto: Crypto = getCrypto()): Promise<Pkcs12Contents> {
  const engine = pkiEngine(crypto);
  const pw = toArrayBuffer(utf8(password));
  const pfx = pkijs.PFX.fromBER(toArrayBuffer(der));
  await pfx.parseInternalValues({ password: pw, checkIntegrity: true }, engine);
  const safe = pfx.parsedValue!.authenticatedSafe!;
  await safe.parseInternalValues({ safeContents: safe.safeContents.map((c) => (c.contentType === pkijs.id_ContentType_EncryptedData ? { password: pw } : {})) }, engine);
  const out: Pkcs12Contents = { privateKeys: [], certificates: [] };
  for (const contents of safe.parsedValue!.safeContents) {
    for (const bag of contents.value.safeBags) {
      if (bag.bagId === OID.pkcs_12_pkcs8ShroudedKeyBag) {
        const encrypted = new Uint8Array((bag.bagValue as pkijs.PKCS8ShroudedKeyBag).toSchema().toBER(false));
        out.privateKeys.push(await decryptPrivateKey(encrypted, password, crypto));
      } else if (bag.bagId === OID.pkcs_12_certBag) {
        out.certificates.push(new Uint8Array(((bag.bagValue as pkijs.CertBag).certValue as asn1js.OctetString).valueBlock.valueHexView));
      }
    }
  }
  return out;
}
