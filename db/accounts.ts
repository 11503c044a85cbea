/**
 * Account and session writes for the portal, bound to a database handle like the
 * read models in ./queries (`runtime().accounts`). Next.js code calls these; it never
 * imports the database driver.
 */

import type { Db } from './client';
import { endSession, getActiveSession, recordSignInFailure, signInLockedUntil, startSession, type SignInFailureParams, type StartSessionParams } from './sessions';
import { createUser, getUserById, getUserByUsername, listUsers, setUserPassword, updateUser, upsertSsoUser, type AccountActor, type CreateUserParams, type UpdateUserParams } from './users';

export function createAccounts(db: Db) {
  return {
    getUserByUsername: (username: string) => getUserByUsername(db, username),
    getUserById: (id: string) => getUserById(db, id),
    listUsers: () => listUsers(db),
    createUser: (p: CreateUserParams) => createUser(db, p),
    updateUser: (p: UpdateUserParams, actor: AccountActor) => updateUser(db, p, actor),
    setUserPassword: (p: { id: string; password: string }, actor: AccountActor) => setUserPassword(db, p, actor),
    upsertSsoUser: (p: Parameters<typeof upsertSsoUser>[1]) => upsertSsoUser(db, p),
    getActiveSession: (p: { id: string; now: Date }) => getActiveSession(db, p),
    startSession: (p: StartSessionParams) => startSession(db, p),
    endSession: (p: { id: string; now: Date; sourceIp: string | null }) => endSession(db, p),
    signInLockedUntil: (p: { username: string; sourceIp: string | null; now: Date }) => signInLockedUntil(db, p),
    recordSignInFailure: (p: SignInFailureParams) => recordSignInFailure(db, p),
  };
}

export type Accounts = ReturnType<typeof createAccounts>;
