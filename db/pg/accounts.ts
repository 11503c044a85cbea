/**
 * The portal's account and session functions on PostgreSQL: the `Accounts` contract of
 * ../accounts.ts, bound to a PostgreSQL handle (`runtime().accounts` when DATABASE_URL
 * is a postgres:// URL). The functions are in ./users.ts and ./sessions.ts.
 */

import type { Accounts } from '../accounts';
import type { PgDb } from './client';
import { endSession, getActiveSession, recordSignInFailure, signInLockedUntil, startSession } from './sessions';
import { createUser, getUserById, getUserByUsername, listUsers, setUserPassword, updateUser, upsertSsoUser } from './users';

export function createPgAccounts(db: PgDb): Accounts {
  return {
    getUserByUsername: (username) => getUserByUsername(db, username),
    getUserById: (id) => getUserById(db, id),
    listUsers: () => listUsers(db),
    createUser: (p) => createUser(db, p),
    updateUser: (p, actor) => updateUser(db, p, actor),
    setUserPassword: (p, actor) => setUserPassword(db, p, actor),
    upsertSsoUser: (p) => upsertSsoUser(db, p),
    getActiveSession: (p) => getActiveSession(db, p),
    startSession: (p) => startSession(db, p),
    endSession: (p) => endSession(db, p),
    signInLockedUntil: (p) => signInLockedUntil(db, p),
    recordSignInFailure: (p) => recordSignInFailure(db, p),
  };
}
