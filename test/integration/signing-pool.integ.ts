/**
 * The signing pool (server/signing-pool.ts) when things stop, tested on the pool itself,
 * in process, with the real signing thread bundle:
 *   - the pool stopping with requests still queued: they are refused with `unavailable`
 *     and never signed, because the database closes right after the pool (from outside,
 *     a stopping server has stopped reading requests first, so this cannot be staged
 *     over HTTP); a request after that is refused the same way at once, and so is one
 *     whose token lookup was under way when stopping began;
 *   - a signing thread dying: a new thread takes its place, and the requests it held,
 *     and one still in its token lookup, move to it instead of hanging; a request that
 *     has been in two dying threads, or in one that died with no other left, is refused
 *     as retryable, and its token works again; one still in its token lookup when the
 *     last thread died is signed on the main thread;
 *   - restarts bounded: a signing thread that cannot start is not restarted, nor is one
 *     past `MAX_RESTARTS` a minute (older restarts are forgotten); the main thread signs
 *     instead.
 */

import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignWithTokenParams } from '@/lib/ca/issue';
import type { CaStore } from '@/lib/ca/store';
import { MAX_RESTARTS, SigningPool } from '@/server/signing-pool';
import { createLogger } from '@/server/log';
import { openTestCa, type TestCa } from '../helpers/ca';
import { makeCsr } from '../helpers/csr';
import { ROOT } from '../helpers/paths';
import { startFedpki, type Fedpki } from '../helpers/server';

describe('the signing pool', () => {
  let srv: Fedpki;
  let ca: TestCa;

  beforeAll(async () => {
    // Only its data folder is needed: a CA with its default federation.
    srv = await startFedpki();
    await srv.stop();
    ca = await openTestCa({ dataDir: srv.dataDir, databaseUrl: srv.databaseUrl });
  });

  afterAll(async () => {
    await ca?.close();
    srv?.cleanup();
  });

  async function startPool(o: { queue: number; worker?: string; log?: string[]; store?: CaStore; now?: () => number }) {
    const pool = new SigningPool({
      authority: ca.authority,
      store: o.store ?? ca.store,
      threads: 1,
      queue: o.queue,
      aliases: [],
      log: createLogger('error', (line) => void o.log?.push(line)),
      workerUrl: pathToFileURL(o.worker ?? join(ROOT, 'dist', 'signing-worker.mjs')),
      now: o.now,
    });
    await pool.start();
    return pool;
  }

  /**
   * The store, except that token lookups can be held: a request can be kept between its
   * lookup and its hand-over to the thread, as a slower database (PostgreSQL) keeps it,
   * while the pool stops or its thread dies.
   */
  function heldLookups() {
    let gate: Promise<void> | undefined;
    let release = () => {};
    let waiting = 0;
    const store = new Proxy(ca.store, {
      get(target, key) {
        if (key === 'getToken') {
          return async (jti: string) => {
            if (gate) {
              waiting++;
              await gate;
            }
            return target.getToken(jti);
          };
        }
        const v = Reflect.get(target, key, target) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    return {
      store,
      /**
       * Sends a request and holds its token lookup while `meanwhile` runs, then lets it
       * go on. Resolves to the subject signed, or to the error.
       */
      async signHeldInLookup(pool: SigningPool, params: SignWithTokenParams, meanwhile: () => Promise<unknown>) {
        const before = waiting;
        gate = new Promise<void>((r) => (release = r));
        const outcome = pool.sign(params).then((c) => c.record.commonName, (e: unknown) => e);
        try {
          await expect.poll(() => waiting).toBe(before + 1);
          await meanwhile();
        } finally {
          gate = undefined;
          release();
        }
        return outcome;
      },
    };
  }

  async function request(subject: string) {
    const { jwt, record } = await ca.authority.mintToken('default', { subject }, { id: 'test' });
    return { jti: record.jti, params: { ott: jwt, csr: (await makeCsr(subject)).der } };
  }

  it('refuses the requests waiting for a thread with unavailable when stopping, and signs none of them', async () => {
    const pool = await startPool({ queue: 1 });
    const requests = [await request('stopping-0'), await request('stopping-1'), await request('stopping-2')];
    const before = await ca.counts();

    // The thread takes one request (its queue holds one); the other two wait. The pool
    // starts stopping before the main thread's next turn, where it would sign one itself.
    const outcomes = requests.map((r) => pool.sign(r.params).then(() => 'issued' as const, (e: unknown) => e));
    await pool.close();
    const [onThread, ...queued] = await Promise.all(outcomes);

    for (const e of queued) expect(e).toMatchObject({ code: 'unavailable', message: 'The server is stopping.' });
    for (const r of requests.slice(1)) expect((await ca.store.getToken(r.jti))?.state).toBe('pending');
    // The thread's request is answered either way, never left hanging.
    if (onThread !== 'issued') expect(onThread).toMatchObject({ code: 'unavailable' });
    expect((await ca.counts()).certificates).toBe(before.certificates + (onThread === 'issued' ? 1 : 0));
  });

  it('refuses a request that comes after it has stopped at once, instead of leaving it unanswered', async () => {
    const pool = await startPool({ queue: 12 });
    await pool.sign((await request('before-stop')).params);
    await pool.close();
    const late = await request('after-stop');
    const before = await ca.counts();

    await expect(pool.sign(late.params)).rejects.toMatchObject({ code: 'unavailable', message: 'The server is stopping.' });
    expect((await ca.store.getToken(late.jti))?.state).toBe('pending');
    expect((await ca.counts()).certificates).toBe(before.certificates);
  });

  it('refuses a request whose token lookup was under way when stopping began, and leaves its token unused', async () => {
    const lookups = heldLookups();
    const pool = await startPool({ queue: 12, store: lookups.store });
    const r = await request('looked-up-while-stopping');
    const before = await ca.counts();

    const outcome = await lookups.signHeldInLookup(pool, r.params, () => pool.close());

    expect(outcome).toMatchObject({ code: 'unavailable', message: 'The server is stopping.' });
    expect((await ca.store.getToken(r.jti))?.state).toBe('pending');
    expect((await ca.counts()).certificates).toBe(before.certificates);
  });

  const crashingWorker = join(ROOT, 'test', 'helpers', 'crashing-signing-worker.mjs');
  const crash = (ott = 'crash') => ({ ott, csr: new Uint8Array([0x30, 0x00]) });
  let crashOnceFlags = 0;
  /** A "crash-once" request, and its flag file (a fresh one each time; the data folder goes in `afterAll`). */
  const crashOnce = () => {
    const flag = join(srv.dataDir, `crash-once-${++crashOnceFlags}`);
    writeFileSync(flag, '');
    return { params: crash(`crash-once:${flag}`), flag };
  };
  const restartsLogged = (log: string[]) => log.filter((l) => l.includes('signing thread stopped; starting a new one')).length;
  /** Sends `n` "crash" requests: each kills two threads (its own, and the one it is moved to), and is refused. */
  async function crashes(pool: SigningPool, n: number) {
    for (let i = 0; i < n; i++) await expect(pool.sign(crash())).rejects.toMatchObject({ code: 'unavailable' });
  }

  /**
   * Runs `body` on a pool of crashing threads that one signed request has proven (so a
   * thread that dies is replaced), with the pool's log; closes the pool afterwards.
   */
  async function withCrashingPool(o: { store?: CaStore; now?: () => number }, body: (pool: SigningPool, log: string[]) => Promise<void>) {
    const log: string[] = [];
    const pool = await startPool({ queue: 12, worker: crashingWorker, log, ...o });
    try {
      await pool.sign((await request('proves-the-thread')).params);
      await body(pool, log);
    } finally {
      await pool.close();
    }
  }

  it('moves a request whose thread died during its token lookup to the new thread, which signs it', async () => {
    const lookups = heldLookups();
    await withCrashingPool({ store: lookups.store }, async (pool, log) => {
      const r = await request('looked-up-while-dying');

      const outcome = await lookups.signHeldInLookup(pool, r.params, async () => {
        // "crash" carries no token id, so it skips the lookup and reaches the same thread
        // first. It kills that thread and, moved once, its replacement; then it is refused.
        await expect(pool.sign(crash())).rejects.toMatchObject({ code: 'unavailable', message: expect.stringMatching(/signing thread stopped.*sent again/) });
        expect(restartsLogged(log)).toBe(2);
      });

      expect(outcome).toBe('looked-up-while-dying');
      expect((await ca.store.getToken(r.jti))?.state).toBe('used');
    });
  });

  it('moves what a dying thread held to the new thread, which answers it, and signs what comes next', async () => {
    await withCrashingPool({}, async (pool, log) => {
      const held = await Promise.all([request('held-at-crash-0'), request('held-at-crash-1')]);
      const once = crashOnce();
      // The crash reaches the thread first (it has no token to look up), so the thread
      // dies with the two requests behind it unanswered.
      const [crashed, ...rest] = await Promise.all(
        [once.params, ...held.map((r) => r.params)].map((p) => pool.sign(p).then((c) => c.record.commonName, (e: unknown) => e)),
      );

      expect(log.join('')).toMatch(/signing thread stopped; starting a new one thread=0 exitCode=1 held=3/);
      expect(restartsLogged(log)).toBe(1);
      expect(existsSync(once.flag)).toBe(false);
      // Moved too, the crash was answered by the new thread as what it is: not a request.
      expect(crashed).toMatchObject({ code: 'csr_malformed' });
      expect(rest).toEqual(['held-at-crash-0', 'held-at-crash-1']);
      for (const r of held) expect((await ca.store.getToken(r.jti))?.state).toBe('used');

      const next = await Promise.all([request('after-crash-0'), request('after-crash-1')]);
      const issued = await Promise.all(next.map((r) => pool.sign(r.params)));
      expect(issued.map((c) => c.record.commonName)).toEqual(['after-crash-0', 'after-crash-1']);
    });
  });

  it(`stops restarting after ${MAX_RESTARTS} restarts within a minute, and signs on the main thread instead`, async () => {
    await withCrashingPool({}, async (pool, log) => {
      await crashes(pool, 3);

      expect(restartsLogged(log)).toBe(MAX_RESTARTS);
      expect(log.join('')).toMatch(new RegExp(`signing thread stopped after ${MAX_RESTARTS} restarts within a minute; not restarted, the main thread signs`));
      const r = await request('after-restarts');
      expect((await pool.sign(r.params)).record.commonName).toBe('after-restarts');
      expect((await ca.store.getToken(r.jti))?.state).toBe('used');
    });
  });

  it('signs on the main thread a request whose thread died during its token lookup with none left to move it to', async () => {
    const lookups = heldLookups();
    await withCrashingPool({ store: lookups.store }, async (pool, log) => {
      // Two restarts per "crash": one restart is left before the cap.
      await crashes(pool, 2);
      const r = await request('no-thread-left');

      const outcome = await lookups.signHeldInLookup(pool, r.params, async () => {
        // This kills the request's thread and, moved, its replacement, the last one allowed.
        await expect(pool.sign(crash())).rejects.toMatchObject({ code: 'unavailable' });
        expect(log.join('')).toMatch(/not restarted, the main thread signs/);
      });

      // It was not in a thread when the thread died, so it cannot be what killed it.
      expect(outcome).toBe('no-thread-left');
      expect((await ca.store.getToken(r.jti))?.state).toBe('used');
    });
  });

  it('refuses as retryable a request held by a thread that died with none left, and signs it when sent again', async () => {
    await withCrashingPool({}, async (pool, log) => {
      await crashes(pool, 2);
      // The fifth restart: the thread it starts is the last one allowed.
      await expect(pool.sign(crashOnce().params)).rejects.toMatchObject({ code: 'csr_malformed' });
      expect(restartsLogged(log)).toBe(MAX_RESTARTS);
      const r = await request('held-when-none-left');
      const before = await ca.counts();

      // The crash reaches that thread first and kills it with the request behind it,
      // which has not been in a dying thread before.
      const [crashed, held] = await Promise.all([crash(), r.params].map((p) => pool.sign(p).then(() => 'issued' as const, (e: unknown) => e)));
      expect(log.join('')).toMatch(/not restarted, the main thread signs thread=0 exitCode=1 held=2/);
      expect(crashed).toMatchObject({ code: 'unavailable' });
      // It may be what kills threads, so it is not signed on the main thread.
      expect(held).toMatchObject({ code: 'unavailable', message: expect.stringMatching(/signing thread stopped.*sent again/) });
      expect((await ca.store.getToken(r.jti))?.state).toBe('pending');
      expect((await ca.counts()).certificates).toBe(before.certificates);
      // The same token works again: with no thread left, the main thread signs it.
      expect((await pool.sign(r.params)).record.commonName).toBe('held-when-none-left');
      expect((await ca.store.getToken(r.jti))?.state).toBe('used');
    });
  });

  it('forgets restarts older than a minute: threads that die now and then keep being replaced', async () => {
    let clock = 0;
    await withCrashingPool({ now: () => clock }, async (pool, log) => {
      // Four restarts (two per "crash"), a minute apart from the next four: under the cap each time.
      for (const at of [0, 60_001]) {
        clock = at;
        await crashes(pool, 2);
      }

      expect(restartsLogged(log)).toBe(8);
      expect(log.join('')).not.toMatch(/not restarted/);
      const r = await request('after-spread-crashes');
      expect((await pool.sign(r.params)).record.commonName).toBe('after-spread-crashes');
    });
  });

  it('does not restart a thread that cannot start, and signs on the main thread instead', async () => {
    const log: string[] = [];
    const pool = await startPool({ queue: 12, worker: join(ROOT, 'test', 'helpers', 'no-such-signing-worker.mjs'), log });
    try {
      await expect.poll(() => log.join(''), { timeout: 10_000 }).toMatch(/signing thread stopped before any thread answered; not restarted, the main thread signs thread=0 exitCode=1 held=0/);
      const r = await request('main-thread-only');
      const issued = await pool.sign(r.params);
      expect(issued.record.commonName).toBe('main-thread-only');
      expect((await ca.store.getToken(r.jti))?.state).toBe('used');
      // One failure, logged once: no second thread was started.
      expect(log.filter((l) => l.includes('signing thread stopped'))).toHaveLength(1);
    } finally {
      await pool.close();
    }
  });
});
