/**
 * Portal accounts: creation, lookup and changes. Every change appends its audit entry
 * in the same transaction; disabling an account or resetting its password ends its
 * sessions. The sign-in flow itself lives in the portal (app/_lib/auth.ts).
 */

import { randomUUID } from 'node:crypto';
import { and, asc, count, eq, ne } from 'drizzle-orm';
import { ActivityType, auditEntry, type AuditEntry } from '../lib/ca/audit';
import { CaError } from '../lib/ca/errors';
import { hashPassword } from '../lib/auth/password';
import { USERNAME_RE, USERNAME_RULE, passwordProblem } from '../lib/auth/rules';
import type { Role } from '../lib/auth/roles';
import type { Db } from './client';
import { auditLog, users, type UserRow } from './schema';
import { endSessionsOf } from './sessions';


export function countUsers(db: Db): number {
  return db.select({ n: count() }).from(users).get()?.n ?? 0;
}

export function getUserByUsername(db: Db, username: string): UserRow | undefined {
  return db.select().from(users).where(eq(users.username, username.toLowerCase())).get();
}

export interface CreateUserParams {
  username: string;
  role: Role;
  password?: string;
  displayName?: string;
  provider?: string;
  createdBy: string;
  sourceIp?: string | null;
}

/**
 * Validates and hashes: the part of creating a user that does not depend on the
 * database (db/pg/users.ts inserts the same row on PostgreSQL).
 */
export async function newUserRow(p: CreateUserParams): Promise<{ row: UserRow; audit: AuditEntry }> {
  const username = p.username.trim().toLowerCase();
  if (!USERNAME_RE.test(username)) {
    throw new CaError('validation_failed', `A user name: ${USERNAME_RULE}`, { fieldErrors: { username: [USERNAME_RULE] } });
  }
  let passwordHash: string | null = null;
  if (p.password !== undefined) {
    const problem = passwordProblem(p.password);
    if (problem) throw new CaError('validation_failed', problem, { fieldErrors: { password: [problem] } });
    passwordHash = await hashPassword(p.password);
  }
  const now = new Date();
  const row: UserRow = {
    id: randomUUID(),
    username,
    displayName: p.displayName ?? null,
    role: p.role,
    passwordHash,
    provider: p.provider ?? 'credentials',
    disabled: false,
    createdAt: now,
    createdBy: p.createdBy,
    lastSignInAt: null,
  };
  const audit = auditEntry(ActivityType.USER_CREATED, { at: now, actor: p.createdBy, sourceIp: p.sourceIp, target: username, details: { role: p.role } });
  return { row, audit };
}

export const usernameTaken = (username: string, cause: unknown) =>
  new CaError('conflict', `The user name "${username}" is taken.`, { cause, fieldErrors: { username: ['This name is taken.'] } });

export async function createUser(db: Db, p: CreateUserParams): Promise<UserRow> {
  const { row, audit } = await newUserRow(p);
  try {
    db.transaction((tx) => {
      tx.insert(users).values(row).run();
      tx.insert(auditLog).values(audit).run();
    });
  } catch (e) {
    if (String((e as { code?: string }).code).startsWith('SQLITE_CONSTRAINT')) throw usernameTaken(row.username, e);
    throw e;
  }
  return row;
}

export function getUserById(db: Db, id: string): UserRow | undefined {
  return db.select().from(users).where(eq(users.id, id)).get();
}

export type UserSummary = Omit<UserRow, 'passwordHash'> & { hasPassword: boolean };

export function listUsers(db: Db): UserSummary[] {
  return db
    .select()
    .from(users)
    .orderBy(asc(users.username))
    .all()
    .map(({ passwordHash, ...u }) => ({ ...u, hasPassword: passwordHash !== null }));
}

export interface AccountActor {
  /** "user:alice". */
  id: string;
  sourceIp: string | null;
  /** The acting session's id (as its cookie carries it), kept open when the actor changes their own password. */
  sessionId?: string;
}

function otherActiveAdmins(tx: Pick<Db, 'select'>, exceptId: string): number {
  return (
    tx
      .select({ n: count() })
      .from(users)
      .where(and(eq(users.role, 'admin'), eq(users.disabled, false), ne(users.id, exceptId)))
      .get()?.n ?? 0
  );
}

export interface UpdateUserParams {
  id: string;
  role?: Role;
  disabled?: boolean;
  displayName?: string | null;
}

/**
 * The part of a user update that does not depend on the database (db/pg/users.ts
 * applies the same plan on PostgreSQL): the new values, the last-administrator rule,
 * whether the user's sessions end, the audit entry and the summary to return.
 * @param otherActiveAdmins - enabled administrators besides this user, read in the update's transaction
 * @throws CaError conflict
 */
export function planUserUpdate(before: UserRow, p: UpdateUserParams, otherActiveAdmins: number, actor: AccountActor, now: Date) {
  const role = p.role ?? before.role;
  const disabled = p.disabled ?? before.disabled;
  if (before.role === 'admin' && !before.disabled && (role !== 'admin' || disabled) && otherActiveAdmins === 0) {
    throw new CaError('conflict', 'FedPKI needs at least one enabled administrator: make another account an administrator first.');
  }
  const displayName = p.displayName === undefined ? before.displayName : p.displayName;
  const changes: Record<string, unknown> = {};
  if (role !== before.role) changes.role = { from: before.role, to: role };
  if (disabled !== before.disabled) changes.disabled = disabled;
  if (displayName !== before.displayName) changes.displayName = displayName;
  const endSessions = disabled && !before.disabled;
  const action = endSessions ? ActivityType.USER_DISABLED : ActivityType.USER_UPDATED;
  const { passwordHash, ...rest } = { ...before, role, disabled, displayName };
  return {
    set: { role, disabled, displayName },
    endSessions,
    audit: auditEntry(action, { at: now, actor: actor.id, sourceIp: actor.sourceIp, target: before.username, details: changes }),
    summary: { ...rest, hasPassword: passwordHash !== null } satisfies UserSummary,
  };
}

/**
 * Changes a user's role, enabled state or display name. FedPKI always keeps one
 * enabled administrator: demoting or disabling the last one is refused.
 * @throws CaError not_found, conflict
 */
export function updateUser(db: Db, p: UpdateUserParams, actor: AccountActor): UserSummary {
  const now = new Date();
  return db.transaction(
    (tx) => {
      const before = tx.select().from(users).where(eq(users.id, p.id)).get();
      if (!before) throw new CaError('not_found', 'No such user.');
      const plan = planUserUpdate(before, p, otherActiveAdmins(tx, before.id), actor, now);
      tx.update(users).set(plan.set).where(eq(users.id, p.id)).run();
      if (plan.endSessions) endSessionsOf(tx, p.id, now);
      tx.insert(auditLog).values(plan.audit).run();
      return plan.summary;
    },
    { behavior: 'immediate' },
  );
}

/**
 * Sets a new password and ends the user's other sessions (all of them when an
 * administrator resets someone else's).
 * @throws CaError not_found, validation_failed
 */
export async function setUserPassword(db: Db, p: { id: string; password: string }, actor: AccountActor): Promise<void> {
  const problem = passwordProblem(p.password);
  if (problem) throw new CaError('validation_failed', problem, { fieldErrors: { password: [problem] } });
  const hash = await hashPassword(p.password);
  const now = new Date();
  db.transaction(
    (tx) => {
      const user = tx.select().from(users).where(eq(users.id, p.id)).get();
      if (!user) throw new CaError('not_found', 'No such user.');
      if (user.provider !== 'credentials') throw new CaError('conflict', 'This account signs in through single sign-on and has no password here.');
      tx.update(users).set({ passwordHash: hash }).where(eq(users.id, p.id)).run();
      endSessionsOf(tx, p.id, now, actor.sessionId);
      tx.insert(auditLog)
        .values(auditEntry(ActivityType.USER_UPDATED, { at: now, actor: actor.id, sourceIp: actor.sourceIp, target: user.username, details: { password: 'changed' } }))
        .run();
    },
    { behavior: 'immediate' },
  );
}

/**
 * The account of a single-sign-on user, created on first sign-in with the role the
 * allow-list gives. The allow-list stays authoritative: a changed mapping changes the
 * role at the next sign-in. A password account of the same name is never taken over.
 * @throws CaError conflict (name held by a password account), forbidden (disabled)
 */
export function upsertSsoUser(db: Db, p: { username: string; provider: string; role: Role; displayName?: string | null; sourceIp: string | null }): UserRow {
  const username = p.username.trim().toLowerCase();
  if (!USERNAME_RE.test(username)) throw new CaError('validation_failed', 'The single-sign-on account name is not one FedPKI accepts.');
  const now = new Date();
  return db.transaction(
    (tx) => {
      const existing = tx.select().from(users).where(eq(users.username, username)).get();
      if (existing) {
        if (existing.provider !== p.provider) throw new CaError('conflict', 'A password account has this name; single sign-on cannot use it.');
        if (existing.disabled) throw new CaError('forbidden', 'This account is disabled.');
        if (existing.role !== p.role) {
          tx.update(users).set({ role: p.role }).where(eq(users.id, existing.id)).run();
          tx.insert(auditLog)
            .values(auditEntry(ActivityType.USER_UPDATED, { at: now, actor: 'sso', sourceIp: p.sourceIp, target: username, details: { role: { from: existing.role, to: p.role } } }))
            .run();
        }
        return { ...existing, role: p.role };
      }
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
      tx.insert(users).values(row).run();
      tx.insert(auditLog)
        .values(auditEntry(ActivityType.USER_CREATED, { at: now, actor: 'sso', sourceIp: p.sourceIp, target: username, details: { role: p.role, provider: p.provider } }))
        .run();
      return row;
    },
    { behavior: 'immediate' },
  );
}
