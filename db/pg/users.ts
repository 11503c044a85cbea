/**
 * Portal accounts on PostgreSQL: the same rows, rules and audit entries as ../users.ts
 * (which validates and hashes). Where SQLite serialises writers with one lock, several
 * FedPKI instances write here at once, so each change locks the rows its rule reads:
 * - keeping one enabled administrator: the account and every enabled administrator are
 *   locked together, in id order, so two demotions cannot each count the other;
 * - a first single-sign-on sign-in on two instances at once: the insert that loses to
 *   the unique user name reads the winner's row instead of failing.
 */

import { randomUUID } from 'node:crypto';
import { and, asc, count, eq, or } from 'drizzle-orm';
import { ActivityType, auditEntry } from '../../lib/ca/audit';
import { CaError } from '../../lib/ca/errors';
import { hashPassword } from '../../lib/auth/password';
import { USERNAME_RE, passwordProblem } from '../../lib/auth/rules';
import type { Role } from '../../lib/auth/roles';
import { newUserRow, planUserUpdate, usernameTaken, type AccountActor, type CreateUserParams, type UpdateUserParams, type UserSummary } from '../users';
import { isPgUniqueViolation, type PgDb } from './client';
import { bytewise } from './queries/text';
import { auditLog, users, type UserRow } from './schema';
import { endSessionsOf } from './sessions';

export async function countUsers(db: PgDb): Promise<number> {
  const [row] = await db.select({ n: count() }).from(users);
  return row?.n ?? 0;
}

export async function getUserByUsername(db: PgDb, username: string): Promise<UserRow | undefined> {
  const name = username.toLowerCase();
  if (name.includes('\0')) return undefined;
  const [row] = await db.select().from(users).where(eq(users.username, name));
  return row;
}

export async function getUserById(db: PgDb, id: string): Promise<UserRow | undefined> {
  if (id.includes('\0')) return undefined;
  const [row] = await db.select().from(users).where(eq(users.id, id));
  return row;
}

export async function listUsers(db: PgDb): Promise<UserSummary[]> {
  const rows = await db.select().from(users).orderBy(bytewise(users.username));
  return rows.map(({ passwordHash, ...u }) => ({ ...u, hasPassword: passwordHash !== null }));
}

export async function createUser(db: PgDb, p: CreateUserParams): Promise<UserRow> {
  const { row, audit } = await newUserRow(p);
  try {
    await db.transaction(async (tx) => {
      await tx.insert(users).values(row);
      await tx.insert(auditLog).values(audit);
    });
  } catch (e) {
    if (isPgUniqueViolation(e)) throw usernameTaken(row.username, e);
    throw e;
  }
  return row;
}

/**
 * Changes a user's role, enabled state or display name; demoting or disabling the last
 * enabled administrator is refused (see ../users.ts).
 * @throws CaError not_found, conflict
 */
export async function updateUser(db: PgDb, p: UpdateUserParams, actor: AccountActor): Promise<UserSummary> {
  const now = new Date();
  if (p.id.includes('\0')) throw new CaError('not_found', 'No such user.');
  return db.transaction(async (tx) => {
    // FOR NO KEY UPDATE: sign-ins (which only reference the user row) are not held up.
    const locked = await tx
      .select()
      .from(users)
      .where(or(eq(users.id, p.id), and(eq(users.role, 'admin'), eq(users.disabled, false))))
      .orderBy(asc(users.id))
      .for('no key update');
    const before = locked.find((u) => u.id === p.id);
    if (!before) throw new CaError('not_found', 'No such user.');
    const otherAdmins = locked.filter((u) => u.id !== before.id && u.role === 'admin' && !u.disabled).length;
    const plan = planUserUpdate(before, p, otherAdmins, actor, now);
    await tx.update(users).set(plan.set).where(eq(users.id, p.id));
    if (plan.endSessions) await endSessionsOf(tx, p.id, now);
    await tx.insert(auditLog).values(plan.audit);
    return plan.summary;
  });
}

/**
 * Sets a new password and ends the user's other sessions (see ../users.ts).
 * @throws CaError not_found, validation_failed, conflict
 */
export async function setUserPassword(db: PgDb, p: { id: string; password: string }, actor: AccountActor): Promise<void> {
  const problem = passwordProblem(p.password);
  if (problem) throw new CaError('validation_failed', problem, { fieldErrors: { password: [problem] } });
  if (p.id.includes('\0')) throw new CaError('not_found', 'No such user.');
  const hash = await hashPassword(p.password);
  const now = new Date();
  await db.transaction(async (tx) => {
    const [user] = await tx.select().from(users).where(eq(users.id, p.id)).for('no key update');
    if (!user) throw new CaError('not_found', 'No such user.');
    if (user.provider !== 'credentials') throw new CaError('conflict', 'This account signs in through single sign-on and has no password here.');
    await tx.update(users).set({ passwordHash: hash }).where(eq(users.id, p.id));
    await endSessionsOf(tx, p.id, now, actor.sessionId);
    await tx
      .insert(auditLog)
      .values(auditEntry(ActivityType.USER_UPDATED, { at: now, actor: actor.id, sourceIp: actor.sourceIp, target: user.username, details: { password: 'changed' } }));
  });
}

/**
 * The account of a single-sign-on user, created on first sign-in with the allow-list's
 * role (see ../users.ts). Two instances admitting the same new person at once create
 * one account: the second insert finds the name taken and goes on as for an existing
 * account.
 * @throws CaError conflict (name held by a password account), forbidden (disabled)
 */
export async function upsertSsoUser(db: PgDb, p: { username: string; provider: string; role: Role; displayName?: string | null; sourceIp: string | null }): Promise<UserRow> {
  const username = p.username.trim().toLowerCase();
  if (!USERNAME_RE.test(username)) throw new CaError('validation_failed', 'The single-sign-on account name is not one FedPKI accepts.');
  const now = new Date();
  return db.transaction(async (tx) => {
    const row: UserRow = {
      id: randomUUID(),
      username,
      displayName: p.displayName ?? null,
      role: p.role,
      passwordHash: null,
      provider: p.provider,
      disabled: false,
      createdAt: now,
      createdBy: 'sso',
      lastSignInAt: null,
    };
    const created = await tx.insert(users).values(row).onConflictDoNothing({ target: users.username }).returning({ id: users.id });
    if (created.length) {
      await tx
        .insert(auditLog)
        .values(auditEntry(ActivityType.USER_CREATED, { at: now, actor: 'sso', sourceIp: p.sourceIp, target: username, details: { role: p.role, provider: p.provider } }));
      return row;
    }
    const [existing] = await tx.select().from(users).where(eq(users.username, username)).for('no key update');
    if (!existing) throw new CaError('conflict', 'The account changed while signing in; try again.');
    if (existing.provider !== p.provider) throw new CaError('conflict', 'A password account has this name; single sign-on cannot use it.');
    if (existing.disabled) throw new CaError('forbidden', 'This account is disabled.');
    if (existing.role !== p.role) {
      await tx.update(users).set({ role: p.role }).where(eq(users.id, existing.id));
      await tx
        .insert(auditLog)
        .values(auditEntry(ActivityType.USER_UPDATED, { at: now, actor: 'sso', sourceIp: p.sourceIp, target: username, details: { role: { from: existing.role, to: p.role } } }));
    }
    return { ...existing, role: p.role };
  });
}
