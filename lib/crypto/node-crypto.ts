/**
 * A WebCrypto implementation for Node built on webcrypto-core's provider classes, with
 * the work done by node:crypto synchronously.
 *
 * Why: lib/ca and lib/pki speak WebCrypto so the same code runs in the browser, but
 * Node's own WebCrypto runs every sign, verify and digest as a thread-pool job; on the
 * target machine that overhead (~0.3 ms per issuance, measured) is larger than the
 * cryptography. Here a P-256 sign is one `crypto.sign` call (~34 µs).
 *
 * It is also the provider seam for CA keys: a KMS- or HSM-backed signer is another
 * `EcdsaProvider` whose `onSign` calls the device, registered in place of this one.
 * Only server and CLI code use this module; the browser uses its native WebCrypto.
 */

import {
  KeyObject,
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPair as generateKeyPairCb,
  generateKeyPairSync,
  hkdfSync,
  pbkdf2 as pbkdf2Cb,
  randomFillSync,
  sign as nodeSign,
  timingSafeEqual,
  verify as nodeVerify,
  webcrypto,
} from 'node:crypto';
import * as core from 'webcrypto-core';

type Usage = KeyUsage;

/** A CryptoKey whose material is a node:crypto KeyObject (or raw bytes for PBKDF2/HKDF/AES). */
export class NodeCryptoKey extends core.CryptoKey {
  keyObject!: KeyObject;
  raw?: Buffer;
}

function wrap(keyObject: KeyObject, algorithm: KeyAlgorithm, type: KeyType, extractable: boolean, usages: Usage[]): NodeCryptoKey {
  const key = NodeCryptoKey.create(algorithm, type, extractable, usages) as NodeCryptoKey;
  key.keyObject = keyObject;
  return key;
}

const asKey = (key: CryptoKey): NodeCryptoKey => key as NodeCryptoKey;
const buf = (data: ArrayBuffer | ArrayBufferView): Buffer =>
  ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);
const toArrayBuffer = (b: Buffer): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

const HASH: Record<string, string> = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };
const hashName = (alg: { hash?: AlgorithmIdentifier } | undefined): string => {
  const h = alg?.hash;
  const name = typeof h === 'string' ? h : (h as Algorithm | undefined)?.name;
  const node = name && HASH[name.toUpperCase()];
  if (!node) throw new core.AlgorithmError(`unsupported hash ${String(name)}`);
  return node;
};

const USAGES = {
  privateKey: ['sign'] as Usage[],
  publicKey: ['verify'] as Usage[],
};

function split(usages: Usage[]) {
  return {
    priv: usages.filter((u) => USAGES.privateKey.includes(u)),
    pub: usages.filter((u) => USAGES.publicKey.includes(u)),
  };
}

function exportAsymmetric(format: KeyFormat, key: NodeCryptoKey): JsonWebKey | ArrayBuffer {
  switch (format) {
    case 'jwk':
      return { ...(key.keyObject.export({ format: 'jwk' }) as JsonWebKey), ext: true, key_ops: key.usages };
    case 'spki':
      return toArrayBuffer(key.keyObject.export({ type: 'spki', format: 'der' }) as Buffer);
    case 'pkcs8':
      return toArrayBuffer(key.keyObject.export({ type: 'pkcs8', format: 'der' }) as Buffer);
    case 'raw': {
      const jwk = key.keyObject.export({ format: 'jwk' }) as JsonWebKey;
      return toArrayBuffer(Buffer.concat([Buffer.of(4), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]));
    }
    default:
      throw new core.OperationError(`cannot export as ${format}`);
  }
}

class EcdsaProvider extends core.EcdsaProvider {
  override namedCurves = ['P-256', 'P-384', 'P-521'];

  override async onGenerateKey(algorithm: EcKeyGenParams, extractable: boolean, keyUsages: Usage[]): Promise<CryptoKeyPair> {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: algorithm.namedCurve });
    const alg = { name: 'ECDSA', namedCurve: algorithm.namedCurve };
    const { priv, pub } = split(keyUsages);
    return { privateKey: wrap(privateKey, alg, 'private', extractable, priv), publicKey: wrap(publicKey, alg, 'public', true, pub) };
  }

  override async onSign(algorithm: EcdsaParams, key: CryptoKey, data: ArrayBuffer): Promise<ArrayBuffer> {
    return toArrayBuffer(nodeSign(hashName(algorithm), buf(data), { key: asKey(key).keyObject, dsaEncoding: 'ieee-p1363' }));
  }

  override async onVerify(algorithm: EcdsaParams, key: CryptoKey, signature: ArrayBuffer, data: ArrayBuffer): Promise<boolean> {
    return nodeVerify(hashName(algorithm), buf(data), { key: asKey(key).keyObject, dsaEncoding: 'ieee-p1363' }, buf(signature));
  }

  override async onImportKey(format: KeyFormat, keyData: JsonWebKey | ArrayBuffer, algorithm: EcKeyImportParams, extractable: boolean, keyUsages: Usage[]): Promise<CryptoKey> {
    const alg = { name: 'ECDSA', namedCurve: algorithm.namedCurve };
    let keyObject: KeyObject;
    switch (format) {
      case 'raw': {
        // Node's own WebCrypto imports a raw point ~2× faster than createPublicKey, and
        // synchronously under its promise; KeyObject.from then costs nothing.
        const native = await webcrypto.subtle.importKey('raw', keyData as ArrayBuffer, alg, true, ['verify']);
        keyObject = KeyObject.from(native);
        break;
      }
      case 'spki':
        keyObject = createPublicKey({ key: buf(keyData as ArrayBuffer), format: 'der', type: 'spki' });
        break;
      case 'pkcs8':
        keyObject = createPrivateKey({ key: buf(keyData as ArrayBuffer), format: 'der', type: 'pkcs8' });
        break;
      case 'jwk': {
        const jwk = keyData as JsonWebKey;
        keyObject = jwk.d ? createPrivateKey({ key: jwk as never, format: 'jwk' }) : createPublicKey({ key: jwk as never, format: 'jwk' });
        break;
      }
      default:
        throw new core.OperationError(`cannot import ${format}`);
    }
    const details = keyObject.asymmetricKeyDetails;
    const curve = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' }[details?.namedCurve ?? ''];
    if (keyObject.asymmetricKeyType !== 'ec' || curve !== algorithm.namedCurve) throw new core.OperationError('key does not match the algorithm');
    return wrap(keyObject, alg, keyObject.type as KeyType, extractable, keyUsages);
  }

  override async onExportKey(format: KeyFormat, key: CryptoKey): Promise<JsonWebKey | ArrayBuffer> {
    return exportAsymmetric(format, asKey(key));
  }
}

class RsaSsaProvider extends core.RsaSsaProvider {
  override async onGenerateKey(algorithm: RsaHashedKeyGenParams, extractable: boolean, keyUsages: Usage[]): Promise<CryptoKeyPair> {
    const { privateKey, publicKey } = await new Promise<{ privateKey: KeyObject; publicKey: KeyObject }>((resolve, reject) =>
      generateKeyPairCb('rsa', { modulusLength: algorithm.modulusLength, publicExponent: 65537 }, (err, publicKey, privateKey) =>
        err ? reject(err) : resolve({ publicKey, privateKey }),
      ),
    );
    const alg = { name: 'RSASSA-PKCS1-v1_5', hash: { name: hashAlg(algorithm.hash) }, modulusLength: algorithm.modulusLength, publicExponent: new Uint8Array([1, 0, 1]) };
    const { priv, pub } = split(keyUsages);
    return { privateKey: wrap(privateKey, alg, 'private', extractable, priv), publicKey: wrap(publicKey, alg, 'public', true, pub) };
  }

  override async onSign(_algorithm: Algorithm, key: CryptoKey, data: ArrayBuffer): Promise<ArrayBuffer> {
    return toArrayBuffer(nodeSign(hashName(key.algorithm as RsaHashedKeyAlgorithm), buf(data), asKey(key).keyObject));
  }

  override async onVerify(_algorithm: Algorithm, key: CryptoKey, signature: ArrayBuffer, data: ArrayBuffer): Promise<boolean> {
    return nodeVerify(hashName(key.algorithm as RsaHashedKeyAlgorithm), buf(data), asKey(key).keyObject, buf(signature));
  }

  override async onImportKey(format: KeyFormat, keyData: JsonWebKey | ArrayBuffer, algorithm: RsaHashedImportParams, extractable: boolean, keyUsages: Usage[]): Promise<CryptoKey> {
    let keyObject: KeyObject;
    if (format === 'spki') keyObject = createPublicKey({ key: buf(keyData as ArrayBuffer), format: 'der', type: 'spki' });
    else if (format === 'pkcs8') keyObject = createPrivateKey({ key: buf(keyData as ArrayBuffer), format: 'der', type: 'pkcs8' });
    else if (format === 'jwk') {
      const jwk = keyData as JsonWebKey;
      keyObject = jwk.d ? createPrivateKey({ key: jwk as never, format: 'jwk' }) : createPublicKey({ key: jwk as never, format: 'jwk' });
    } else throw new core.OperationError(`cannot import ${format}`);
    if (keyObject.asymmetricKeyType !== 'rsa') throw new core.OperationError('not an RSA key');
    const d = keyObject.asymmetricKeyDetails!;
    const alg = { name: 'RSASSA-PKCS1-v1_5', hash: { name: hashAlg(algorithm.hash) }, modulusLength: d.modulusLength!, publicExponent: new Uint8Array([1, 0, 1]) };
    return wrap(keyObject, alg, keyObject.type as KeyType, extractable, keyUsages);
  }

  override async onExportKey(format: KeyFormat, key: CryptoKey): Promise<JsonWebKey | ArrayBuffer> {
    return exportAsymmetric(format, asKey(key));
  }
}

function hashAlg(h: AlgorithmIdentifier): string {
  return typeof h === 'string' ? h.toUpperCase() : h.name.toUpperCase();
}

class ShaProvider extends core.ProviderCrypto {
  readonly name: string;
  readonly usages: core.ProviderKeyUsages = [];
  constructor(name: string) {
    super();
    this.name = name;
  }
  override async onDigest(_algorithm: Algorithm, data: ArrayBuffer): Promise<ArrayBuffer> {
    return toArrayBuffer(createHash(HASH[this.name]!).update(buf(data)).digest());
  }
}

/** A password or key-derivation secret, kept as raw bytes (PBKDF2, HKDF). */
function rawSecretKey(keyData: ArrayBuffer, algorithm: Algorithm, extractable: boolean, keyUsages: Usage[]): NodeCryptoKey {
  const key = NodeCryptoKey.create({ name: algorithm.name }, 'secret', extractable, keyUsages) as NodeCryptoKey;
  key.raw = Buffer.from(buf(keyData));
  return key;
}

class Pbkdf2Provider extends core.Pbkdf2Provider {
  override async onImportKey(_format: KeyFormat, keyData: ArrayBuffer, algorithm: Algorithm, extractable: boolean, keyUsages: Usage[]): Promise<CryptoKey> {
    return rawSecretKey(keyData, algorithm, extractable, keyUsages);
  }

  override async onDeriveBits(algorithm: Pbkdf2Params, baseKey: CryptoKey, length: number): Promise<ArrayBuffer> {
    // Asynchronous on purpose: 600,000 iterations take ~0.16 s, off the event loop.
    return new Promise((resolve, reject) =>
      pbkdf2Cb(asKey(baseKey).raw!, buf(algorithm.salt as ArrayBuffer), algorithm.iterations, length >> 3, hashName(algorithm), (err, out) =>
        err ? reject(err) : resolve(toArrayBuffer(out)),
      ),
    );
  }
}

/** HMAC with a secret KeyObject; verification compares in constant time. */
class HmacProvider extends core.HmacProvider {
  override async onGenerateKey(algorithm: HmacKeyGenParams, extractable: boolean, keyUsages: Usage[]): Promise<CryptoKey> {
    const length = (algorithm.length ?? this.getDefaultLength(hashAlg(algorithm.hash))) >> 3;
    return hmacKey(createSecretKey(randomFillSync(Buffer.alloc(length))), hashAlg(algorithm.hash), extractable, keyUsages);
  }

  override async onImportKey(format: KeyFormat, keyData: JsonWebKey | ArrayBuffer, algorithm: HmacImportParams, extractable: boolean, keyUsages: Usage[]): Promise<CryptoKey> {
    if (format !== 'raw') throw new core.OperationError('HMAC keys are imported raw here');
    return hmacKey(createSecretKey(Buffer.from(buf(keyData as ArrayBuffer))), hashAlg(algorithm.hash), extractable, keyUsages);
  }

  override async onExportKey(format: KeyFormat, key: CryptoKey): Promise<ArrayBuffer> {
    if (format !== 'raw') throw new core.OperationError('HMAC keys are exported raw here');
    return toArrayBuffer(asKey(key).keyObject.export());
  }

  override async onSign(_algorithm: Algorithm, key: CryptoKey, data: ArrayBuffer): Promise<ArrayBuffer> {
    return toArrayBuffer(hmac(key, buf(data)));
  }

  override async onVerify(_algorithm: Algorithm, key: CryptoKey, signature: ArrayBuffer, data: ArrayBuffer): Promise<boolean> {
    return hmacVerify(key, buf(signature), buf(data));
  }
}

function hmacKey(keyObject: KeyObject, hash: string, extractable: boolean, keyUsages: Usage[]): NodeCryptoKey {
  const algorithm = { name: 'HMAC', hash: { name: hash }, length: keyObject.symmetricKeySize! * 8 } as KeyAlgorithm;
  return wrap(keyObject, algorithm, 'secret', extractable, keyUsages);
}

const hmac = (key: CryptoKey, data: Buffer): Buffer => createHmac(hashName(key.algorithm as HmacKeyAlgorithm), asKey(key).keyObject).update(data).digest();

function hmacVerify(key: CryptoKey, signature: Buffer, data: Buffer): boolean {
  const mac = hmac(key, data);
  return mac.length === signature.length && timingSafeEqual(mac, signature);
}

class HkdfProvider extends core.HkdfProvider {
  override async onImportKey(_format: KeyFormat, keyData: ArrayBuffer, algorithm: Algorithm, extractable: boolean, keyUsages: Usage[]): Promise<CryptoKey> {
    return rawSecretKey(keyData, algorithm, extractable, keyUsages);
  }

  override async onDeriveBits(algorithm: HkdfParams, baseKey: CryptoKey, length: number): Promise<ArrayBuffer> {
    return hkdfSync(hashName(algorithm), asKey(baseKey).raw!, buf(algorithm.salt as ArrayBuffer), buf(algorithm.info as ArrayBuffer), length >> 3);
  }
}

class AesCbcProvider extends core.AesCbcProvider {
  override async onGenerateKey(algorithm: AesKeyGenParams, extractable: boolean, keyUsages: Usage[]): Promise<CryptoKey> {
    return this.#key(randomFillSync(Buffer.alloc(algorithm.length >> 3)), extractable, keyUsages);
  }

  #key(raw: Buffer, extractable: boolean, keyUsages: Usage[]): NodeCryptoKey {
    const key = NodeCryptoKey.create({ name: 'AES-CBC', length: raw.length * 8 } as KeyAlgorithm, 'secret', extractable, keyUsages) as NodeCryptoKey;
    key.raw = raw;
    return key;
  }

  override async onImportKey(format: KeyFormat, keyData: JsonWebKey | ArrayBuffer, _algorithm: Algorithm, extractable: boolean, keyUsages: Usage[]): Promise<CryptoKey> {
    if (format !== 'raw') throw new core.OperationError('AES keys are imported raw here');
    return this.#key(Buffer.from(buf(keyData as ArrayBuffer)), extractable, keyUsages);
  }

  override async onExportKey(format: KeyFormat, key: CryptoKey): Promise<ArrayBuffer> {
    if (format !== 'raw') throw new core.OperationError('AES keys are exported raw here');
    return toArrayBuffer(asKey(key).raw!);
  }

  override async onEncrypt(algorithm: AesCbcParams, key: CryptoKey, data: ArrayBuffer): Promise<ArrayBuffer> {
    const raw = asKey(key).raw!;
    const c = createCipheriv(`aes-${raw.length * 8}-cbc`, raw, buf(algorithm.iv as ArrayBuffer));
    return toArrayBuffer(Buffer.concat([c.update(buf(data)), c.final()]));
  }

  override async onDecrypt(algorithm: AesCbcParams, key: CryptoKey, data: ArrayBuffer): Promise<ArrayBuffer> {
    const raw = asKey(key).raw!;
    const d = createDecipheriv(`aes-${raw.length * 8}-cbc`, raw, buf(algorithm.iv as ArrayBuffer));
    return toArrayBuffer(Buffer.concat([d.update(buf(data)), d.final()]));
  }
}

const isBytes = (v: unknown): v is ArrayBuffer | ArrayBufferView => v instanceof ArrayBuffer || ArrayBuffer.isView(v);
const algName = (a: AlgorithmIdentifier): string | undefined => (typeof a === 'string' ? a : a?.name)?.toUpperCase();

/**
 * The calls every issuance makes — digest, ECDSA sign and verify, HMAC verify with a
 * key of this provider — go straight to node:crypto after the checks
 * webcrypto-core would make (key type, usage, algorithm, hash); webcrypto-core's generic
 * path copies every buffer and re-validates the algorithm object, ~10 µs a call, which
 * is a measurable share of an issuance. Anything else takes the generic path.
 */
class NodeSubtle extends core.SubtleCrypto {
  readonly #ecdsa = new EcdsaProvider();

  constructor() {
    super();
    for (const p of [this.#ecdsa, new RsaSsaProvider(), new HmacProvider(), new HkdfProvider(), new Pbkdf2Provider(), new AesCbcProvider(), ...['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'].map((n) => new ShaProvider(n))]) {
      this.providers.set(p);
    }
  }

  override async digest(...args: unknown[]): Promise<ArrayBuffer> {
    const [algorithm, data] = args as [AlgorithmIdentifier, BufferSource];
    const hash = args.length === 2 && isBytes(data) ? HASH[algName(algorithm) ?? ''] : undefined;
    if (hash) return toArrayBuffer(createHash(hash).update(buf(data)).digest());
    return super.digest(...(args as [AlgorithmIdentifier, BufferSource]));
  }

  override async sign(...args: unknown[]): Promise<ArrayBuffer> {
    const [algorithm, key, data] = args as [EcdsaParams, CryptoKey, BufferSource];
    if (args.length === 3 && this.#fastEcdsa(algorithm, key, 'private', 'sign') && isBytes(data)) {
      return toArrayBuffer(nodeSign(hashName(algorithm), buf(data), { key: asKey(key).keyObject, dsaEncoding: 'ieee-p1363' }));
    }
    return super.sign(...(args as [AlgorithmIdentifier, CryptoKey, BufferSource]));
  }

  override async verify(...args: unknown[]): Promise<boolean> {
    const [algorithm, key, signature, data] = args as [EcdsaParams, CryptoKey, BufferSource, BufferSource];
    if (args.length === 4 && this.#fastEcdsa(algorithm, key, 'public', 'verify') && isBytes(signature) && isBytes(data)) {
      return nodeVerify(hashName(algorithm), buf(data), { key: asKey(key).keyObject, dsaEncoding: 'ieee-p1363' }, buf(signature));
    }
    if (args.length === 4 && key instanceof NodeCryptoKey && algName(algorithm) === 'HMAC' && key.algorithm.name === 'HMAC' && key.usages.includes('verify') && isBytes(signature) && isBytes(data)) {
      return hmacVerify(key, buf(signature), buf(data));
    }
    return super.verify(...(args as [AlgorithmIdentifier, CryptoKey, BufferSource, BufferSource]));
  }

  /** True when the generic path would accept the call and route it to EcdsaProvider. */
  #fastEcdsa(algorithm: EcdsaParams, key: CryptoKey, type: KeyType, usage: KeyUsage): boolean {
    return (
      key instanceof NodeCryptoKey &&
      algName(algorithm) === 'ECDSA' &&
      key.algorithm.name === 'ECDSA' &&
      key.type === type &&
      key.usages.includes(usage) &&
      typeof algorithm === 'object' &&
      HASH[algName(algorithm.hash) ?? ''] !== undefined &&
      algName(algorithm.hash) !== 'SHA-1'
    );
  }
}

class NodeCrypto extends core.Crypto {
  readonly subtle = new NodeSubtle();
  getRandomValues<T extends ArrayBufferView | null>(array: T): T {
    if (array) randomFillSync(array as unknown as Uint8Array);
    return array;
  }
}

/** The KeyObject behind a key of this provider or of Node's own WebCrypto. */
export function keyObjectOf(key: CryptoKey): KeyObject {
  return key instanceof NodeCryptoKey ? key.keyObject : KeyObject.from(key);
}

/** Wraps a KeyObject received from another thread as a signing key of this provider. */
export function signingKeyFrom(keyObject: KeyObject): CryptoKey {
  const d = keyObject.asymmetricKeyDetails!;
  const algorithm: KeyAlgorithm =
    keyObject.asymmetricKeyType === 'ec'
      ? ({ name: 'ECDSA', namedCurve: { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' }[d.namedCurve!] } as KeyAlgorithm)
      : ({ name: 'RSASSA-PKCS1-v1_5', hash: { name: 'SHA-256' }, modulusLength: d.modulusLength, publicExponent: new Uint8Array([1, 0, 1]) } as KeyAlgorithm);
  return wrap(keyObject, algorithm, 'private', false, ['sign']);
}

/** Wraps a secret KeyObject received from another thread as an HMAC-SHA-256 verification key. */
export function hmacKeyFrom(keyObject: KeyObject): CryptoKey {
  return hmacKey(keyObject, 'SHA-256', false, ['verify']);
}

let shared: Crypto | undefined;

/** The process-wide instance (providers hold no per-key state). */
export function nodeCrypto(): Crypto {
  shared ??= new NodeCrypto() as unknown as Crypto;
  return shared;
}
