/**
 * Account and session writes for the portal, bound to a database handle like the read
 * models in ./queries (`runtime().accounts`). Next.js code calls these; it never imports
 * the database driver. Asynchronous, so PostgreSQL implements the same contract.
 */

import type { Db } from './client';
import { endSession, getActiveSession, recordSignInFailure, signInLockedUntil, startSession, type SignInFailureParams, type StartSessionParams } from './sessions';
import { createUser, getUserById, getUserByUsername, listUsers, setUserPassword, updateUser, upsertSsoUser, type AccountActor, type CreateUserParams, type UpdateUserParams } from './users';

type Result<F extends (...a: never[]) => unknown> = Promise<Awaited<ReturnType<F>>>;

export interface Accounts {
  getUserByUsername(username: string): Result<typeof getUserByUsername>;
  getUserById(id: string): Result<typeof getUserById>;
  listUsers(): Result<typeof listUsers>;
  createUser(p: CreateUserParams): Result<typeof createUser>;
  updateUser(p: UpdateUserParams, actor: AccountActor): Result<typeof updateUser>;
  setUserPassword(p: { id: string; password: string }, actor: AccountActor): Result<typeof setUserPassword>;
  upsertSsoUser(p: Parameters<typeof upsertSsoUser>[1]): Result<typeof upsertSsoUser>;
  getActiveSession(p: { id: string; now: Date }): Result<typeof getActiveSession>;
  startSession(p: StartSessionParams): Result<typeof startSession>;
  endSession(p: { id: string; now: Date; sourceIp: string | null }): Result<typeof endSession>;
  signInLockedUntil(p: { username: string; sourceIp: string | null; now: Date }): Result<typeof signInLockedUntil>;
  recordSignInFailure(p: SignInFailureParams): Result<typeof recordSignInFailure>;
}

export function createAccounts(db: Db): Accounts {
  return {
    getUserByUsername: async (username) => getUserByUsername(db, username),
    getUserById: async (id) => getUserById(db, id),
    listUsers: async () => listUsers(db),
    createUser: (p) => createUser(db, p),
    updateUser: async (p, actor) => updateUser(db, p, actor),
    setUserPassword: async (p, actor) => setUserPassword(db, p, actor),
    upsertSsoUser: async (p) => upsertSsoUser(db, p),
    getActiveSession: async (p) => getActiveSession(db, p),
    startSession: async (p) => startSession(db, p),
    endSession: async (p) => endSession(db, p),
    signInLockedUntil: async (p) => signInLockedUntil(db, p),
    recordSignInFailure: async (p) => recordSignInFailure(db, p),
  };
}
