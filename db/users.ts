/** Portal accounts: creation and lookup (the sign-in flow lives in the portal). */

import { randomUUID } from 'node:crypto';
import { count, eq } from 'drizzle-orm';
import { ActivityType, auditEntry, type AuditEntry } from '../lib/ca/audit';
import { CaError } from '../lib/ca/errors';
import { hashPassword, passwordProblem } from '../lib/auth/password';
import type { Role } from '../lib/auth/roles';
import type { Db } from './client';
import { auditLog, users, type UserRow } from './schema';

const USERNAME_RE = /^[A-Za-z0-9._@-]{2,64}$/;

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
    throw new CaError('validation_failed', 'A user name is 2–64 letters, digits, dots, @, hyphens or underscores.', { fieldErrors: { username: ['Use 2–64 letters, digits, . _ @ -'] } });
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
