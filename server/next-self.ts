/** The address Next.js is told it runs at. */

import { splitCaUrl } from '../lib/ca/federation';
import type { ServerConfig } from './runtime';

/**
 * Where Next.js sends the requests it makes to itself: when a server action redirects,
 * Next fetches the target page server-side with the caller's headers, session cookie
 * included, from the host and port it was given. A custom server that gives none gets
 * localhost:3000, where anyone on the host could listen. So it is given a socket of this
 * process: the plain-HTTP listener (127.0.0.1) when there is one, else the first
 * federation's listener. Over TLS that fetch then fails (Node does not trust the
 * federation's root) before any header is sent, and the browser follows the redirect
 * itself.
 */
export function nextSelfAddress(config: Pick<ServerConfig, 'httpPort' | 'bindHost' | 'caUrl' | 'listenPortOffset'>, firstCaUrl?: string): { hostname: string; port: number } {
  if (config.httpPort) return { hostname: '127.0.0.1', port: config.httpPort };
  const { port } = splitCaUrl(firstCaUrl ?? config.caUrl);
  const any = config.bindHost === '' || config.bindHost === '0.0.0.0' || config.bindHost === '::';
  return { hostname: any ? '127.0.0.1' : config.bindHost, port: port + config.listenPortOffset };
}
