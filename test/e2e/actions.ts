/**
 * Calling server actions directly, the way Next.js's browser runtime posts them: a
 * POST to a page that uses the action, with the `Next-Action` header naming its id and
 * the arguments encoded by React's own `encodeReply`. The ids come from the build's
 * server-reference manifest. This is how a user of one role would reach an action
 * the UI does not offer them — the action's own check is all that stands in the way.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
// React's reply encoder, as bundled with Next.js (the browser runtime uses the same code).
// @ts-expect-error untyped module
import { encodeReply } from 'next/dist/compiled/react-server-dom-webpack/client.edge';
import { httpsRequest } from '../helpers/https';
import { ROOT } from '../helpers/paths';

interface ManifestEntry {
  exportedName: string;
  filename: string;
  workers: Record<string, unknown>;
}

export interface ServerAction {
  id: string;
  name: string;
  /** A page path that imports the action. */
  path: string;
}

/** `app/(portal)/federations/[id]/page` → `/federations/default`. */
function pagePath(worker: string): string {
  const path = worker
    .replace(/^app/, '')
    .replace(/\/page$/, '')
    .replace(/\/\([^)]+\)/g, '')
    .replace(/\[[^\]]+\]/g, 'default');
  return path || '/';
}

export function serverActions(): Map<string, ServerAction> {
  const manifest = JSON.parse(readFileSync(join(ROOT, '.next', 'server', 'server-reference-manifest.json'), 'utf8')) as { node: Record<string, ManifestEntry> };
  const out = new Map<string, ServerAction>();
  for (const [id, entry] of Object.entries(manifest.node)) {
    const workers = Object.keys(entry.workers).filter((w) => w.endsWith('/page'));
    const plain = workers.find((w) => !w.includes('[')) ?? workers[0];
    if (plain) out.set(entry.exportedName, { id, name: entry.exportedName, path: pagePath(plain) });
  }
  return out;
}

/**
 * Posts `(previousState = null, formData)` to the action, as a <form> bound with
 * useActionState does, over HTTPS or (for an http: origin) plain HTTP. `headers`
 * replaces or adds request headers; a header given as null is left out (a request
 * without an Origin, say).
 */
export async function callAction(
  origin: string,
  action: ServerAction,
  fields: Record<string, string>,
  cookie?: string,
  headers: Record<string, string | null> = {},
): Promise<{ status: number; text: string }> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  const encoded = new Response(await encodeReply([null, form]));
  const body = Buffer.from(await encoded.arrayBuffer());
  const sent: Record<string, string | null> = {
    'Next-Action': action.id,
    'Content-Type': encoded.headers.get('content-type') ?? 'text/plain',
    Accept: 'text/x-component',
    Origin: origin,
    ...(cookie ? { Cookie: cookie } : {}),
    ...headers,
  };
  const given = Object.fromEntries(Object.entries(sent).filter((e): e is [string, string] => e[1] !== null));
  if (origin.startsWith('http:')) {
    // The plain-HTTP listener (behind a TLS-terminating proxy).
    const res = await fetch(origin + action.path, { method: 'POST', body, headers: given, redirect: 'manual' });
    return { status: res.status, text: await res.text() };
  }
  const res = await httpsRequest(origin + action.path, { method: 'POST', raw: body, insecure: true, headers: given });
  return { status: res.status, text: res.text };
}
