/**
 * @peculiar/x509, ready to use in tests: it resolves its algorithm providers through
 * tsyringe, which needs the Reflect metadata API loaded first, and in Node it has no
 * default WebCrypto. Import it from here, never directly.
 */

import 'reflect-metadata';
import { cryptoProvider } from '@peculiar/x509';

cryptoProvider.set(globalThis.crypto);

export * from '@peculiar/x509';
