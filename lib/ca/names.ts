/**
 * The shapes of a federation's id and CA URL. Kept apart from federation.ts (which
 * makes keys and certificates) so the portal's browser forms can check the same rules
 * without loading the X.509 code.
 */

import { CaError } from './errors';

export const FEDERATION_ID_RE = /^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/;
export const CA_URL_RE = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?):\d{1,5}$/;

export function validateFederationId(id: string): string {
  if (!FEDERATION_ID_RE.test(id)) {
    throw new CaError('validation_failed', 'A federation id is 1–48 lowercase letters, digits or hyphens.', { fieldErrors: { id: ['Use lowercase letters, digits and hyphens.'] } });
  }
  return id;
}

/** host:port, as `fx pki install --ca-url` takes it. */
export function validateCaUrl(caUrl: string): string {
  const port = Number(caUrl.slice(caUrl.lastIndexOf(':') + 1));
  if (!CA_URL_RE.test(caUrl) || port < 1 || port > 65535) {
    throw new CaError('validation_failed', 'The CA URL is host:port, for example localhost:9123 or ca.example.org:443.', { fieldErrors: { caUrl: ['Use host:port.'] } });
  }
  return caUrl;
}

export function splitCaUrl(caUrl: string): { host: string; port: number } {
  const i = caUrl.lastIndexOf(':');
  const host = caUrl.slice(0, i).replace(/^\[|\]$/g, '');
  return { host, port: Number(caUrl.slice(i + 1)) };
}

