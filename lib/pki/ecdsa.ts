/**
 * ECDSA signature encodings. WebCrypto (and JWS) use the fixed-width IEEE P1363 form
 * r‖s; X.509, PKCS#10, CRLs and OCSP use `Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER,
 * s INTEGER }` (RFC 5480 §2.2.3 / RFC 3279 §2.2.3).
 */

import { DerError, TAG, children, expectTag, readRoot, readUnsignedInteger, sequence, unsignedInteger } from './der';

/** r‖s → DER SEQUENCE. */
export function p1363ToDer(sig: Uint8Array): Uint8Array {
  if (sig.length % 2 !== 0 || sig.length === 0) throw new DerError('bad P1363 signature length');
  const half = sig.length / 2;
  return sequence(unsignedInteger(sig.subarray(0, half)), unsignedInteger(sig.subarray(half)));
}

/** DER SEQUENCE → r‖s, each left-padded to `fieldBytes`. Throws when r or s do not fit. */
export function derToP1363(der: Uint8Array, fieldBytes: number): Uint8Array {
  const root = readRoot(der, TAG.SEQUENCE);
  const parts = children(der, root);
  if (parts.length !== 2) throw new DerError('Ecdsa-Sig-Value needs two INTEGERs');
  const out = new Uint8Array(fieldBytes * 2);
  parts.forEach((node, i) => {
    expectTag(node, TAG.INTEGER);
    const m = readUnsignedInteger(der, node);
    if (m.length > fieldBytes) throw new DerError('ECDSA component too long');
    out.set(m, i * fieldBytes + (fieldBytes - m.length));
  });
  return out;
}

export const CURVE_FIELD_BYTES = { 'P-256': 32, 'P-384': 48, 'P-521': 66 } as const;
