import type { Metadata } from 'next';
import { can } from '@/lib/auth/roles';
import { requireUser } from '@/app/_lib/auth';
import { runtime } from '@/app/_lib/runtime';
import { StatusBadge } from '@/app/_components/badges';
import { formatDateTime } from '@/app/_components/format';
import { CreateUserForm } from './create-form';
import { UserRowActions } from './user-actions';

export const metadata: Metadata = { title: 'Users' };

export default async function UsersPage() {
  const user = await requireUser();
  const manage = can(user.role, 'user:manage');
  const users = await runtime().accounts.listUsers();
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Users</h1>
          <p>Who may sign in to this portal, and what each may do.{manage ? '' : ' Administrators manage accounts.'}</p>
        </div>
      </div>
      <div className={manage ? 'columns-wide' : undefined}>
        <div className="table-wrap">
          <table className="table stack-sm">
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Role</th>
                <th scope="col">Last sign-in</th>
                {manage && <th scope="col">Manage</th>}
              </tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <tr key={u.id}>
                  <td className="primary">
                    <strong className="break">{u.username}</strong> {u.disabled && <StatusBadge status="disabled" />}
                    {u.displayName && <div className="small muted">{u.displayName}</div>}
                    <div className="small muted">
                      {u.provider === 'credentials' ? 'password' : 'single sign-on'} · created by {u.createdBy}
                    </div>
                  </td>
                  <td data-label="Role">{u.role}</td>
                  <td className="small" data-label="Last sign-in">{formatDateTime(u.lastSignInAt)}</td>
                  {manage && (
                    <td data-label="Manage">
                      <UserRowActions id={u.id} username={u.username} role={u.role} disabled={u.disabled} hasPassword={u.hasPassword} self={u.id === user.id} />
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {manage && (
          <section className="panel" aria-labelledby="create">
            <h2 id="create">Create an account</h2>
            <CreateUserForm />
          </section>
        )}
      </div>
    </>
  );
}
