/** Portal accounts on PostgreSQL: the same rows as ../users.ts (which validates and hashes). */

import { count, eq } from 'drizzle-orm';
import { newUserRow, usernameTaken, type CreateUserParams } from '../users';
import { isPgUniqueViolation, type PgDb } from './client';
import { auditLog, users, type UserRow } from './schema';

export async function countUsers(db: PgDb): Promise<number> {
  const [row] = await db.select({ n: count() }).from(users);
  return row?.n ?? 0;
}

export async function getUserByUsername(db: PgDb, username: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.username, username.toLowerCase()));
  return row;
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
