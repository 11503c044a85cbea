/**
 * Deterministic mutations of valid inputs for the fuzz suite: bit flips, truncations,
 * DER length fields that lie, deep nesting, splices of random bytes.
 */

export function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

export type Mutation = 'bitflip' | 'truncate' | 'length-lie' | 'nest' | 'splice' | 'garbage' | 'trailing';
export const MUTATIONS: Mutation[] = ['bitflip', 'truncate', 'length-lie', 'nest', 'splice', 'garbage', 'trailing'];

/** Offsets of DER length bytes (walks every TLV header it can find). */
function lengthOffsets(der: Uint8Array): number[] {
  const out: number[] = [];
  const walk = (start: number, end: number, depth: number) => {
    let p = start;
    while (p + 2 <= end && depth < 32) {
      const tag = der[p]!;
      let len = der[p + 1]!;
      out.push(p + 1);
      let hdr = 2;
      if (len & 0x80) {
        const n = len & 0x7f;
        if (n === 0 || n > 4) return;
        len = 0;
        for (let i = 0; i < n; i++) len = len * 256 + der[p + 2 + i]!;
        hdr += n;
      }
      if (p + hdr + len > end) return;
      if (tag & 0x20) walk(p + hdr, p + hdr + len, depth + 1);
      p += hdr + len;
    }
  };
  walk(0, der.length, 0);
  return out;
}

export function mutate(input: Uint8Array, kind: Mutation, r: () => number): Uint8Array {
  const b = new Uint8Array(input);
  const at = () => Math.floor(r() * b.length);
  switch (kind) {
    case 'bitflip': {
      const flips = 1 + Math.floor(r() * 3);
      for (let i = 0; i < flips; i++) {
        const p = at();
        b[p] = b[p]! ^ (1 << Math.floor(r() * 8));
      }
      return b;
    }
    case 'truncate':
      return b.subarray(0, at());
    case 'length-lie': {
      const offsets = lengthOffsets(b);
      const p = offsets[Math.floor(r() * offsets.length)] ?? 1;
      const choices = [0x00, 0x7f, 0x80, 0x81, 0x84, 0xff, (b[p]! + 1) & 0xff, (b[p]! - 1) & 0xff];
      b[p] = choices[Math.floor(r() * choices.length)]!;
      return b;
    }
    case 'nest': {
      // Wrap the input (or a slice of it) in many constructed layers.
      let out = b.subarray(0, Math.max(1, at()));
      const depth = 10 + Math.floor(r() * 2000);
      for (let i = 0; i < depth && out.length < 60_000; i++) {
        const len = out.length;
        const header = len < 0x80 ? [0x30, len] : len < 0x100 ? [0x30, 0x81, len] : [0x30, 0x82, len >> 8, len & 0xff];
        const next = new Uint8Array(header.length + len);
        next.set(header);
        next.set(out, header.length);
        out = next;
      }
      return out;
    }
    case 'splice': {
      const p = at();
      const junk = Uint8Array.from({ length: 1 + Math.floor(r() * 32) }, () => Math.floor(r() * 256));
      const out = new Uint8Array(b.length + junk.length);
      out.set(b.subarray(0, p));
      out.set(junk, p);
      out.set(b.subarray(p), p + junk.length);
      return out;
    }
    case 'garbage':
      return Uint8Array.from({ length: Math.floor(r() * 2048) }, () => Math.floor(r() * 256));
    case 'trailing': {
      const out = new Uint8Array(b.length + 1 + Math.floor(r() * 16));
      out.set(b);
      return out;
    }
  }
}

/** Mutations of a compact JWS string: character flips, cuts, re-encoded claims, swapped parts. */
export function mutateJwt(jwt: string, r: () => number): string {
  const parts = jwt.split('.');
  const pick = Math.floor(r() * 8);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ';
  switch (pick) {
    case 0: {
      const p = Math.floor(r() * jwt.length);
      return jwt.slice(0, p) + alphabet[Math.floor(r() * alphabet.length)] + jwt.slice(p + 1);
    }
    case 1:
      return jwt.slice(0, Math.floor(r() * jwt.length));
    case 2:
      return [parts[1], parts[0], parts[2]].join('.');
    case 3: {
      const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString());
      const keys = Object.keys(claims);
      const k = keys[Math.floor(r() * keys.length)]!;
      const values = [null, 0, -1, 1e300, '', 'x'.repeat(5000), [], {}, true, [claims[k]], Number.MAX_SAFE_INTEGER + 2];
      claims[k] = values[Math.floor(r() * values.length)];
      return [parts[0], Buffer.from(JSON.stringify(claims)).toString('base64url'), parts[2]].join('.');
    }
    case 4: {
      const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString());
      const algs = ['none', 'HS256', 'RS256', 'ES384', 'es256', '', null, ['ES256']];
      header.alg = algs[Math.floor(r() * algs.length)];
      return [Buffer.from(JSON.stringify(header)).toString('base64url'), parts[1], parts[2]].join('.');
    }
    case 5: {
      const depth = 100 + Math.floor(r() * 5000);
      return [parts[0], Buffer.from('['.repeat(depth) + ']'.repeat(depth)).toString('base64url'), parts[2]].join('.');
    }
    case 6:
      return `${jwt}.${parts[2]}`;
    default:
      return Array.from({ length: Math.floor(r() * 300) }, () => alphabet[Math.floor(r() * alphabet.length)]).join('');
  }
}
