/**
 * Chain checks with pkijs's RFC 5280 path validation, used by the enrollment page and
 * the CLI to verify what the CA returned before trusting it.
 */

import * as pkijs from 'pkijs';
import { getCrypto } from './crypto';
import { toArrayBuffer } from './encoding';
import { pkiEngine } from './engine';

export interface ChainCheckParams {
  leaf: Uint8Array;
  intermediates: readonly Uint8Array[];
  root: Uint8Array;
  /** The time to validate at. Default is now. */
  checkDate?: Date;
}

export interface ChainCheckResult {
  ok: boolean;
  message: string;
}

export async function verifyChain(params: ChainCheckParams, crypto: Crypto = getCrypto()): Promise<ChainCheckResult> {
  pkiEngine(crypto);
  const parse = (der: Uint8Array) => pkijs.Certificate.fromBER(toArrayBuffer(der));
  const engine = new pkijs.CertificateChainValidationEngine({
    trustedCerts: [parse(params.root)],
    // pkijs validates the path of the LAST certificate in `certs`; with the leaf first it
    // would check only the intermediate and accept any leaf, expired or foreign.
    certs: [...params.intermediates.map(parse), parse(params.leaf)],
    checkDate: params.checkDate ?? new Date(),
  });
  const result = await engine.verify({}, pkiEngine(crypto));
  return { ok: result.result, message: result.resultMessage };
}
