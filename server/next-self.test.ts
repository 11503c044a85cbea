import { describe, expect, it } from 'vitest';
import { nextSelfAddress } from './next-self';

const base = { bindHost: '127.0.0.1', caUrl: 'localhost:9123', listenPortOffset: 0 };

describe('nextSelfAddress: where Next.js sends its requests to itself (with the caller’s cookies)', () => {
  it.each<[string, Parameters<typeof nextSelfAddress>[0], string | undefined, { hostname: string; port: number }]>([
    ['ok/the plain-HTTP listener when there is one', { ...base, httpPort: 8080 }, 'ca.example.org:9443', { hostname: '127.0.0.1', port: 8080 }],
    ['ok/else the first federation’s listener', base, 'ca.example.org:9443', { hostname: '127.0.0.1', port: 9443 }],
    ['ok/its port plus the listen offset', { ...base, listenPortOffset: 100 }, 'ca.example.org:9443', { hostname: '127.0.0.1', port: 9543 }],
    ['ok/the configured CA URL when no federation is known yet', base, undefined, { hostname: '127.0.0.1', port: 9123 }],
    ['ok/loopback when bound to every address (IPv4)', { ...base, bindHost: '0.0.0.0' }, 'localhost:9443', { hostname: '127.0.0.1', port: 9443 }],
    ['ok/loopback when bound to every address (IPv6)', { ...base, bindHost: '::' }, 'localhost:9443', { hostname: '127.0.0.1', port: 9443 }],
    ['ok/the bound address itself when it is a single one (loopback there may be someone else’s)', { ...base, bindHost: '10.0.0.5' }, 'localhost:9443', { hostname: '10.0.0.5', port: 9443 }],
  ])('%s', (_name, config, firstCaUrl, want) => {
    expect(nextSelfAddress(config, firstCaUrl)).toEqual(want);
  });

  it('fail/never Next.js’s own default, localhost:3000, for the default configuration', () => {
    expect(nextSelfAddress(base)).not.toEqual({ hostname: 'localhost', port: 3000 });
  });
});
