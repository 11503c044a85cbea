/** PEM armour (RFC 7468): DER ⇄ text. */

import { fromBase64, toBase64 } from './encoding';

export type PemLabel =
  | 'CERTIFICATE'
  | 'CERTIFICATE REQUEST'
  | 'NEW CERTIFICATE REQUEST'
  | 'PRIVATE KEY'
  | 'ENCRYPTED PRIVATE KEY'
  | 'EC PRIVATE KEY'
  | 'RSA PRIVATE KEY'
  | 'PUBLIC KEY'
  | 'X509 CRL'
  | (string & {});

/** Armours DER with 64-column lines and a trailing newline, as OpenSSL writes it. */
export function toPem(der: Uint8Array, label: PemLabel): string {
  const b64 = toBase64(der);
  let body = '';
  for (let i = 0; i < b64.length; i += 64) body += b64.slice(i, i + 64) + '\n';
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}

export interface PemBlock {
  label: string;
  der: Uint8Array;
}

const BLOCK_RE = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** Every PEM block in the text, in order; text between blocks is ignored. */
export function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK_RE)) {
    const body = m[2]!;
    // RFC 7468 allows explanatory headers only in legacy formats; refuse them.
    if (body.includes(':')) throw new TypeError(`PEM block ${m[1]} has headers`);
    out.push({ label: m[1]!, der: fromBase64(body) });
  }
  return out;
}

/** The DER of the first block with one of `labels`, or undefined. */
export function fromPem(text: string, ...labels: PemLabel[]): Uint8Array | undefined {
  for (const block of pemBlocks(text)) {
    if (labels.length === 0 || labels.includes(block.label)) return block.der;
  }
  return undefined;
}

export function isPem(text: string): boolean {
  return /-----BEGIN [A-Z0-9 ]+-----/.test(text);
}
