/**
 * FedPKI's HTTPS listeners. Each federation's tokens point at its CA URL (host:port),
 * and a step client pins that federation's root, so the certificate served on that
 * URL must chain to it. One listener per port; federations that share a port are told
 * apart by SNI (their CA URL host names), the oldest being the default. Each
 * federation's TLS certificate is issued from its own intermediate at start, held in
 * memory only, and replaced when two thirds of its 24-hour life have passed (as
 * step-ca does for its own).
 *
 * Clients may present a certificate (mutual TLS); it is requested but not required,
 * and handlers that act on it (renewal, revocation) verify it themselves.
 */

import http from 'node:http';
import net from 'node:net';
import https from 'node:https';
import tls from 'node:tls';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CertificateAuthority } from '../lib/ca/authority';
import { CaError } from '../lib/ca/errors';
import { splitCaUrl } from '../lib/ca/federation';
import type { FederationContext } from '../lib/ca/keyring';
import type { Logger } from './log';

export type ScopedHandler = (req: IncomingMessage, res: ServerResponse, scope: (servername?: string) => FederationContext[]) => void;

interface TlsEntry {
  options: tls.SecureContextOptions;
  context: tls.SecureContext;
  issuedAt: number;
  notAfter: number;
}

interface PortEntry {
  server: https.Server;
  federationIds: string[];
}

export interface ListenerOptions {
  authority: CertificateAuthority;
  bindHost: string;
  /** Names every TLS certificate carries besides the CA URL host. */
  extraHostnames: readonly string[];
  log: Logger;
  handler: ScopedHandler;
  /** Optional plain-HTTP port on 127.0.0.1. */
  httpPort?: number;
  bounds?: ClientBounds;
  /**
   * Bind each federation's listener on its CA URL port plus this (default 0), for
   * several instances on one host behind a proxy that owns the CA URL ports.
   */
  portOffset?: number;
}

const TLS_LIFETIME_SECONDS = 24 * 3600;

export class Listeners {
  readonly #o: ListenerOptions;
  readonly #ports = new Map<number, PortEntry>();
  readonly #tls = new Map<string, TlsEntry>();
  #http?: http.Server;
  #timer?: NodeJS.Timeout;
  #retry?: NodeJS.Timeout;
  /** Ports that could not be opened, with why: retried, and logged once each. */
  readonly #closed = new Map<number, string>();
  #syncing: Promise<void> = Promise.resolve();

  constructor(o: ListenerOptions) {
    this.#o = o;
  }

  get #bounds(): ClientBounds {
    return this.#o.bounds ?? DEFAULT_CLIENT_BOUNDS;
  }

  /** The federations on a port, the one whose CA URL host is `servername` first. */
  scope(port: number, servername?: string): FederationContext[] {
    const ids = this.#ports.get(port)?.federationIds ?? [];
    const all = ids.map((id) => this.#o.authority.keyring.get(id)).filter((c): c is FederationContext => Boolean(c));
    if (!servername) return all;
    const name = servername.toLowerCase();
    const i = all.findIndex((c) => c.hostnames.has(name));
    return i > 0 ? [all[i]!, ...all.slice(0, i), ...all.slice(i + 1)] : all;
  }

  /** Opens listeners for every federation's port and issues missing TLS certificates. */
  sync(): Promise<void> {
    this.#syncing = this.#syncing.then(() => this.#sync());
    return this.#syncing;
  }

  async #sync(): Promise<void> {
    // A new federation's root must be in every context's list of acceptable client CAs.
    const ca = this.#caBundle();
    for (const [id, entry] of this.#tls) {
      if (entry.options.ca !== undefined && (entry.options.ca as string[]).length !== ca.length) {
        entry.options = { ...entry.options, ca };
        entry.context = tls.createSecureContext(entry.options);
        for (const p of this.#ports.values()) if (p.federationIds[0] === id) p.server.setSecureContext(entry.options);
      }
    }
    const groups = new Map<number, string[]>();
    for (const ctx of this.#o.authority.keyring.list()) {
      const { port } = splitCaUrl(ctx.federation.caUrl);
      groups.set(port, [...(groups.get(port) ?? []), ctx.federation.id]);
    }
    const failures: { port: number; ids: string[]; error: unknown }[] = [];
    for (const [port, ids] of groups) {
      try {
        for (const id of ids) if (!this.#tls.has(id)) await this.#issue(id);
        const existing = this.#ports.get(port);
        if (existing) {
          const defaultChanged = existing.federationIds[0] !== ids[0];
          existing.federationIds = ids;
          if (defaultChanged) existing.server.setSecureContext(this.#tls.get(ids[0]!)!.options);
        } else await this.#listen(port, ids);
        this.#closed.delete(port);
      } catch (e) {
        failures.push({ port, ids, error: e });
      }
    }
    // With no port open at all there is nothing to serve: the start fails, as before.
    if (failures.length && this.#ports.size === 0) throw failures[0]!.error;
    // One federation's port (taken by another program, say) must not keep the others
    // down: it is logged once and tried again until it opens.
    for (const { port, ids, error } of failures) {
      const why = (error as Error).message;
      if (this.#closed.get(port) !== why) {
        this.#o.log.error(`a federation's port could not be opened; its nodes cannot reach it until it can (tried again every ${RETRY_MS / 1000} s)`, { federations: ids.join(','), error: why });
      }
      this.#closed.set(port, why);
    }
    if (this.#o.httpPort && !this.#http) await this.#listenHttp(this.#o.httpPort);
    this.#timer ??= setInterval(() => void this.renewDue(), 15 * 60 * 1000).unref();
    this.#retry ??= setInterval(() => {
      if (this.#closed.size) void this.sync().catch(() => undefined);
    }, RETRY_MS).unref();
  }

  /** Whether this server has the port of a CA URL open (a federation's port, shared or not). */
  listensOn(caUrl: string): boolean {
    return this.#ports.has(splitCaUrl(caUrl).port);
  }

  /**
   * Why a new federation's CA URL port could not be opened here (another program holds
   * it, a port under 1024 without privileges), or undefined when it can be, or is
   * already one of this server's: checked before the federation is created.
   */
  async cannotOpen(caUrl: string): Promise<string | undefined> {
    if (this.listensOn(caUrl)) return undefined;
    return portProblem(this.#o.bindHost, splitCaUrl(caUrl).port + (this.#o.portOffset ?? 0));
  }

  #hostnames(ctx: FederationContext): string[] {
    return [...new Set([...ctx.hostnames, 'localhost', '127.0.0.1', '::1', ...this.#o.extraHostnames])];
  }

  #caBundle(): string[] {
    return this.#o.authority.keyring.list().flatMap((c) => [c.root.pem, c.intermediate.pem]);
  }

  async #issue(federationId: string): Promise<void> {
    const ctx = this.#o.authority.keyring.require(federationId);
    const creds = await this.#o.authority.issueTlsCredentials(federationId, this.#hostnames(ctx), TLS_LIFETIME_SECONDS);
    const options: tls.SecureContextOptions = { cert: creds.certificateChain, key: creds.privateKey, ca: this.#caBundle(), minVersion: 'TLSv1.2' };
    this.#tls.set(federationId, { options, context: tls.createSecureContext(options), issuedAt: Date.now(), notAfter: creds.notAfter.getTime() });
    // A client that sends no SNI (an IP literal) gets the port's default context.
    for (const entry of this.#ports.values()) {
      if (entry.federationIds[0] === federationId) entry.server.setSecureContext(options);
    }
  }

  /** Replaces TLS certificates past two thirds of their life. */
  async renewDue(): Promise<void> {
    for (const [id, entry] of this.#tls) {
      if (Date.now() > entry.issuedAt + ((entry.notAfter - entry.issuedAt) * 2) / 3) {
        try {
          await this.#issue(id);
          this.#o.log.info('TLS certificate renewed', { federation: id });
        } catch (e) {
          this.#o.log.error('TLS certificate renewal failed', { federation: id, error: e as Error });
        }
      }
    }
  }

  #listen(port: number, federationIds: string[]): Promise<void> {
    const entry: PortEntry = { server: undefined as unknown as https.Server, federationIds };
    const contextFor = (servername?: string) => {
      const first = this.scope(port, servername)[0];
      return first ? this.#tls.get(first.federation.id)?.context : undefined;
    };
    const server = https.createServer(
      {
        ...this.#tls.get(federationIds[0]!)!.options,
        SNICallback: (servername, cb) => cb(null, contextFor(servername) ?? contextFor()),
        requestCert: true,
        rejectUnauthorized: false,
        minVersion: 'TLSv1.2',
        handshakeTimeout: Math.min(10_000, this.#bounds.headersTimeoutMs),
        connectionsCheckingInterval: CHECK_INTERVAL_MS,
      },
      (req, res) => this.#o.handler(req, res, (sn) => this.scope(port, sn ?? ((req.socket as tls.TLSSocket).servername || undefined))),
    );
    hardenServer(server, this.#bounds);
    trackConnections(server, 'secureConnection');
    entry.server = server;
    this.#ports.set(port, entry);
    return new Promise((resolve, reject) => {
      const bound = port + (this.#o.portOffset ?? 0);
      server.once('error', (e) => {
        this.#ports.delete(port);
        const offset = this.#o.portOffset ?? 0;
        const settings = offset ? `FEDPKI_HOST, and the CA URL port ${port} plus FEDPKI_LISTEN_PORT_OFFSET ${offset}` : `FEDPKI_HOST, the federation's CA URL port`;
        reject(listenError(e, `${this.#o.bindHost}:${bound}`, settings));
      });
      if (!(bound >= 1 && bound <= 65535)) {
        this.#ports.delete(port);
        reject(new CaError('bad_request', `Cannot listen on port ${bound}: the CA URL port ${port} plus FEDPKI_LISTEN_PORT_OFFSET (${this.#o.portOffset}) is not a port.`));
        return;
      }
      server.listen(bound, this.#o.bindHost, () => {
        this.#o.log.info('listening', { url: `https://${this.#o.bindHost}:${bound}`, federations: federationIds.join(',') });
        resolve();
      });
    });
  }

  #listenHttp(port: number): Promise<void> {
    const all = () => this.#o.authority.keyring.list();
    const server = http.createServer({ connectionsCheckingInterval: CHECK_INTERVAL_MS }, (req, res) => this.#o.handler(req, res, () => all()));
    hardenServer(server, this.#bounds);
    trackConnections(server, 'connection');
    this.#http = server;
    return new Promise((resolve, reject) => {
      server.once('error', (e) => {
        // The "something else" may be this server: its own HTTPS listener on that port.
        const own = [...this.#ports.keys()].some((p) => p + (this.#o.portOffset ?? 0) === port);
        reject(own ? new CaError('bad_request', `Cannot listen on 127.0.0.1:${port} (FEDPKI_HTTP_PORT): a federation's HTTPS listener is on that port; choose another.`) : listenError(e, `127.0.0.1:${port}`, 'FEDPKI_HTTP_PORT'));
      });
      server.listen(port, '127.0.0.1', () => {
        this.#o.log.info('listening', { url: `http://127.0.0.1:${port}` });
        resolve();
      });
    });
  }

  /** The ports listened on (CA URL ports plus the offset). */
  ports(): number[] {
    return [...this.#ports.keys()].map((p) => p + (this.#o.portOffset ?? 0));
  }

  /**
   * Stops accepting connections, then, for up to `graceMs`, closes each connection as
   * soon as it has no answer in progress or still on its way out, before cutting what is
   * left. A certificate being issued when the server is told to stop is then delivered,
   * rather than recorded with its token spent and never received. (Connections are
   * tracked, not requests: per-request tracking measured ~17 MiB more peak memory under
   * signing load.)
   */
  async close(graceMs = 0): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#retry) clearInterval(this.#retry);
    const servers: (http.Server | https.Server)[] = [...[...this.#ports.values()].map((p) => p.server), ...(this.#http ? [this.#http] : [])];
    let open = servers.length;
    const closed = servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())).then(() => void open--));
    const deadline = Date.now() + graceMs;
    while (open > 0 && Date.now() < deadline) {
      for (const s of servers) s.closeIdleConnections(); // closeDelivered, see trackConnections
      await new Promise((resolve) => setTimeout(resolve, DRAIN_CHECK_MS));
    }
    for (const s of servers) s.closeAllConnections();
    await Promise.all(closed);
    this.#ports.clear();
  }
}

/**
 * Closes the connections that have nothing left to deliver: no answer in progress, and
 * none written but not yet flushed. Node's own `closeIdleConnections` counts a
 * connection idle once its answer has been ended, and destroys it with the bytes still
 * queued (under load, with a slow reader): the answer is lost after its token was spent.
 * A response stays on its socket (`_httpMessage`) until it has been flushed ('finish').
 * A connection between requests, or one whose request has not fully arrived, is closed:
 * nothing of that request was acted on.
 */
export function closeDelivered(sockets: Iterable<net.Socket>): void {
  for (const socket of sockets) {
    if ((socket as { _httpMessage?: unknown })._httpMessage) continue;
    if (socket.writableLength > 0) continue;
    socket.destroy();
  }
}

/**
 * Tracks a server's connections and makes its `closeIdleConnections` (which `close()`
 * calls too) close only those with nothing left to deliver.
 */
function trackConnections(server: http.Server | https.Server, event: 'connection' | 'secureConnection'): void {
  const sockets = new Set<net.Socket>();
  server.on(event, (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.closeIdleConnections = () => closeDelivered(sockets);
}

export interface ClientBounds {
  /** A request's headers must arrive within this (slowloris). */
  headersTimeoutMs: number;
  /** A whole request must arrive within this. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  maxConnections: number;
}

export const DEFAULT_CLIENT_BOUNDS: ClientBounds = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 30_000, maxConnections: 4096 };

/** Bounds on slow or greedy clients. */
function hardenServer(server: http.Server | https.Server, b: ClientBounds): void {
  server.headersTimeout = b.headersTimeoutMs;
  server.requestTimeout = b.requestTimeoutMs;
  server.keepAliveTimeout = b.keepAliveTimeoutMs;
  server.maxHeadersCount = 100;
  server.maxConnections = b.maxConnections;
}

/** How often Node checks the two timeouts above (its default, 30 s, would let a dribbling client linger). */
const CHECK_INTERVAL_MS = 1000;

/** How often a stopping server closes the connections that have finished their request. */
const DRAIN_CHECK_MS = 25;

/** How often a federation's port that could not be opened is tried again. */
const RETRY_MS = 5_000;

/**
 * Why a port cannot be listened on at this address (in use, privileged, no such
 * address), found by opening and closing it; undefined when it can be.
 */
export function portProblem(host: string, port: number): Promise<string | undefined> {
  if (!(Number.isInteger(port) && port >= 1 && port <= 65535)) return Promise.resolve(`${port} is not a port`);
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', (e: NodeJS.ErrnoException) => resolve(listenReason(e)));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(undefined)));
  });
}

function listenReason(e: Error): string {
  const code = (e as { code?: string }).code;
  return code === 'EADDRINUSE' ? 'something else is listening there' : code === 'EACCES' ? 'not allowed (a port under 1024 needs privileges)' : code === 'ENOTFOUND' || code === 'EADDRNOTAVAIL' ? 'no such address on this host' : e.message;
}

/** A listen failure that names the address and the settings behind it, for the operator. */
function listenError(e: Error, address: string, settings: string): CaError {
  return new CaError('unavailable', `Cannot listen on ${address} (${settings}): ${listenReason(e)}.`, { cause: e });
}
