/**
 * pkijs over an injected WebCrypto. pkijs keeps a process-global engine for the few
 * paths that do not take one as a parameter; `pkiEngine` sets it once and returns an
 * engine bound to the given Crypto for the calls that do.
 */

import * as pkijs from 'pkijs';
import { getCrypto } from './crypto';

const engines = new WeakMap<Crypto, pkijs.CryptoEngine>();
let globalSet = false;

export function pkiEngine(crypto: Crypto = getCrypto()): pkijs.CryptoEngine {
  let engine = engines.get(crypto);
  if (!engine) {
    engine = new pkijs.CryptoEngine({ name: 'fedpki', crypto });
    engines.set(crypto, engine);
  }
  if (!globalSet) {
    pkijs.setEngine('fedpki', engine);
    globalSet = true;
  }
  return engine;
}
