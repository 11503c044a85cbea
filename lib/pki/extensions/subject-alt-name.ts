/**
 * Subject alternative name (RFC 5280 §4.2.1.6), id-ce-subjectAltName:
 *
 *   SubjectAltName ::= GeneralNames
 *   GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName
 *   GeneralName ::= CHOICE {
 *     rfc822Name                [1] IA5String,
 *     dNSName                   [2] IA5String,
 *     uniformResourceIdentifier [6] IA5String,
 *     iPAddress                 [7] OCTET STRING,
 *     … }
 *
 * Names from a token are sorted into these kinds the way step's x509util.SplitSANs
 * does, in this order: an IP literal is an IP, a value with a URI scheme is a URI
 * (also "mailto:a@b" and "https://user@host"), one with "@" an e-mail address,
 * anything else a DNS name.
 */

import { DerError, TAG, children, contentOf, expectTag, implicitPrimitive, readRoot, sequence } from '../der';
import { fromUtf8, utf8 } from '../encoding';
import { id_ce_subjectAltName } from '../oids';
import { extension } from './extension';

export interface SubjectAltNames {
  dns: string[];
  ip: string[];
  email: string[];
  uri: string[];
}

export const emptySans = (): SubjectAltNames => ({ dns: [], ip: [], email: [], uri: [] });

const TAG_EMAIL = 0x81;
const TAG_DNS = 0x82;
const TAG_URI = 0x86;
const TAG_IP = 0x87;

// ------------------------------------------------------------ IP literals

export function parseIpv4(text: string): Uint8Array | undefined {
  const m = text.match(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p, i) => p > 255 || (m[i + 1]!.length > 1 && m[i + 1]!.startsWith('0')))) return undefined;
  return Uint8Array.from(parts);
}

export function parseIpv6(input: string): Uint8Array | undefined {
  const text = input.startsWith('[') && input.endsWith(']') ? input.slice(1, -1) : input;
  if (!text.includes(':')) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const toWords = (s: string, mayEndInV4: boolean): number[] | undefined => {
    if (s === '') return [];
    const parts = s.split(':');
    const words: number[] = [];
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (p.includes('.')) {
        const v4 = mayEndInV4 && i === parts.length - 1 ? parseIpv4(p) : undefined;
        if (!v4) return undefined;
        words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
        words.push(parseInt(p, 16));
      }
    }
    return words;
  };
  const head = toWords(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? toWords(halves[1]!, true) : [];
  if (!head || !tail) return undefined;
  let words: number[];
  if (halves.length === 1) {
    if (head.length !== 8) return undefined;
    words = head;
  } else {
    if (head.length + tail.length > 7) return undefined;
    words = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 0xff;
  });
  return out;
}

/**
 * An IPv4 or IPv6 literal. IPv4-mapped IPv6 (::ffff:a.b.c.d) comes back as the 4-byte
 * IPv4 address: Go encodes it so (x509's marshalSANs uses net.IP.To4), which means a
 * step client puts 4 bytes in its CSR for such a token SAN.
 */
export function parseIp(text: string): Uint8Array | undefined {
  return parseIpv4(text) ?? unmapIpv4(parseIpv6(text));
}

/** ::ffff:a.b.c.d → a.b.c.d (4 bytes); any other address unchanged. */
function unmapIpv4<T extends Uint8Array | undefined>(ip: T): T | Uint8Array {
  if (ip?.length === 16 && ip.subarray(0, 10).every((b) => b === 0) && ip[10] === 0xff && ip[11] === 0xff) return ip.slice(12);
  return ip;
}

/** Canonical text of a 4- or 16-byte address (RFC 5952 for IPv6). */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length !== 16) throw new DerError('IP address must be 4 or 16 bytes');
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

// ------------------------------------------------------------ classification

const URI_RE = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/** Sorts a list of names into SAN kinds, normalising IP literals; duplicates dropped. */
export function splitSans(values: readonly string[]): SubjectAltNames {
  const out = emptySans();
  const push = (list: string[], v: string) => {
    if (!list.includes(v)) list.push(v);
  };
  for (const raw of values) {
    const v = raw.trim();
    if (!v) continue;
    const ip = parseIp(v);
    if (ip) push(out.ip, formatIp(ip));
    else if (URI_RE.test(v)) push(out.uri, v);
    else if (v.includes('@')) push(out.email, v);
    else push(out.dns, v);
  }
  return out;
}

export function sansToList(sans: SubjectAltNames): string[] {
  return [...sans.dns, ...sans.ip, ...sans.email, ...sans.uri];
}

export function sanCount(sans: SubjectAltNames): number {
  return sans.dns.length + sans.ip.length + sans.email.length + sans.uri.length;
}

// ------------------------------------------------------------ DER

/** GeneralNames DER (the extension value). */
export function generalNames(sans: SubjectAltNames): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const v of sans.email) parts.push(implicitPrimitive(1, utf8(v)));
  for (const v of sans.dns) parts.push(implicitPrimitive(2, utf8(v)));
  for (const v of sans.uri) parts.push(implicitPrimitive(6, utf8(v)));
  for (const v of sans.ip) {
    const b = parseIp(v);
    if (!b) throw new DerError(`not an IP address: ${v}`);
    parts.push(implicitPrimitive(7, b));
  }
  return sequence(...parts);
}

/** The full extension; not critical because the subject name is never empty here. */
export function subjectAltName(sans: SubjectAltNames): Uint8Array {
  return extension(id_ce_subjectAltName, false, generalNames(sans));
}

function ia5(bytes: Uint8Array): string {
  for (const b of bytes) if (b > 0x7e || b < 0x20) throw new DerError('SAN is not printable IA5');
  return fromUtf8(bytes);
}

/** Parses a GeneralNames value; kinds FedPKI does not use are counted in `other`. */
export function parseGeneralNames(der: Uint8Array): SubjectAltNames & { other: number } {
  const root = readRoot(der, TAG.SEQUENCE);
  const out = { ...emptySans(), other: 0 };
  for (const node of children(der, root)) {
    const value = contentOf(der, node);
    switch (node.tag) {
      case TAG_EMAIL:
        out.email.push(ia5(value));
        break;
      case TAG_DNS:
        out.dns.push(ia5(value));
        break;
      case TAG_URI:
        out.uri.push(ia5(value));
        break;
      case TAG_IP:
        if (value.length !== 4 && value.length !== 16) throw new DerError('bad iPAddress length');
        // Compared like Go's net.IP.Equal: a 16-byte IPv4-mapped address is its IPv4 address.
        out.ip.push(formatIp(unmapIpv4(value)));
        break;
      default:
        out.other++;
    }
  }
  expectTag(root, TAG.SEQUENCE);
  return out;
}
