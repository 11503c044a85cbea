import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { CaError } from '@/lib/ca/errors';
import { sendError } from './http';
import { createLogger } from './log';

/** A response that records what was sent. */
function recorder() {
  const sent: { status?: number; body?: string } = {};
  const res = {
    headersSent: false,
    writeHead(status: number) {
      sent.status = status;
      return this;
    },
    end(text: string) {
      sent.body = text;
    },
  } as unknown as ServerResponse;
  return { res, sent };
}

function logged(err: unknown) {
  const lines: string[] = [];
  const { res, sent } = recorder();
  sendError(res, err, createLogger('info', (l) => lines.push(l)), { path: '/1.0/sign' });
  return { lines, sent };
}

describe('sendError', () => {
  it('logs a foreseen outage (a full disk) in one line with its cause and no stack, and tells the client only the words', () => {
    const driver = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    const err = new CaError('unavailable', 'The certificate authority cannot store anything: the disk holding its database is full. Nothing was issued or changed.', { cause: driver });
    const { lines, sent } = logged(err);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('request failed path=/1.0/sign code=unavailable');
    expect(lines[0]).toContain('cause="SQLITE_FULL database or disk is full"');
    expect(lines[0]).not.toMatch(/\bat .*\.(ts|js):\d+/);
    expect(lines[0]!.endsWith('\n') && !lines[0]!.slice(0, -1).includes('\n')).toBe(true);
    expect(sent.status).toBe(503);
    expect(JSON.parse(sent.body!)).toMatchObject({ code: 'unavailable', status: 503 });
    expect(sent.body).not.toContain('SQLITE_FULL');
  });

  it('logs an unforeseen fault with its stack, and tells the client nothing of it', () => {
    const { lines, sent } = logged(new TypeError('cannot read properties of undefined'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/request failed .*error=.*TypeError: cannot read properties of undefined.*at /);
    expect(sent.status).toBe(500);
    expect(sent.body).not.toContain('cannot read properties');
  });

  it('logs a refusal at info, without an error line', () => {
    const { lines, sent } = logged(new CaError('token_used', 'This token was already used.'));
    expect(lines).toEqual([expect.stringMatching(/ info  request refused path=\/1.0\/sign status=401 code=token_used\n$/)]);
    expect(sent.status).toBe(401);
  });
});
