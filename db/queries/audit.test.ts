import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActivityType, auditEntry } from '../../lib/ca/audit';
import { openDatabase, type Db } from '../client';
import { auditLog } from '../schema';
import { tempDir } from '../../test/helpers/paths';
import { iterateAudit, listAudit } from './audit';

let tmp: ReturnType<typeof tempDir>;
let db: Db;
const t0 = Date.parse('2026-03-01T00:00:00Z');

beforeAll(() => {
  tmp = tempDir();
  db = openDatabase({ file: join(tmp.path, 'fedpki.db'), migrationsFolder: join(__dirname, '..', 'migrations') });
  const actors = ['user:alice', 'user:bob', 'token:abc', 'user_x', 'userAx'];
  for (let i = 0; i < 250; i++) {
    db.insert(auditLog)
      .values(auditEntry(i % 2 ? ActivityType.SIGN_IN : ActivityType.TOKEN_MINTED, { at: new Date(t0 + Math.floor(i / 3) * 60_000), actor: actors[i % actors.length]!, federationId: i % 4 ? 'default' : 'other', outcome: i % 7 ? 'success' : 'failure' }))
      .run();
  }
});

afterAll(() => {
  db.$client.close();
  tmp.remove();
});

describe('reading the audit log', () => {
  it('ok/pages newest first without gaps, even where entries share a time', () => {
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = listAudit(db, { size: 40, cursor });
      seen.push(...page.rows.map((r) => r.id));
      cursor = page.next;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 250 }, (_, i) => 250 - i));
    expect([...iterateAudit(db, {}, 17)].map((r) => r.id)).toEqual(seen);
  });

  it('ok/filters combine', () => {
    const rows = [...iterateAudit(db, { action: 'SIGN_IN', federationId: 'default', outcome: 'failure' })];
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.action === 'SIGN_IN' && r.federationId === 'default' && r.outcome === 'failure')).toBe(true);
    const window = [...iterateAudit(db, { from: new Date(t0 + 10 * 60_000), to: new Date(t0 + 20 * 60_000) })];
    expect(window).toHaveLength(30);
  });

  it('ok/an actor ending in * is a prefix, and _ or % in it are plain characters', () => {
    expect(new Set([...iterateAudit(db, { actor: 'user:*' })].map((r) => r.actor))).toEqual(new Set(['user:alice', 'user:bob']));
    expect(new Set([...iterateAudit(db, { actor: 'user_*' })].map((r) => r.actor))).toEqual(new Set(['user_x']));
    expect([...iterateAudit(db, { actor: 'token:abc' })]).toHaveLength(50);
    expect([...iterateAudit(db, { actor: '%' })]).toHaveLength(0);
  });
});
