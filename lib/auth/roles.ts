/** Portal roles and what each may do. Checked inside every action and handler. */

export const ROLES = ['admin', 'operator', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export type Permission =
  | 'view'
  | 'token:mint'
  | 'token:cancel'
  | 'csr:sign'
  | 'cert:revoke'
  | 'federation:manage'
  | 'user:manage'
  | 'settings:manage';

const GRANTS: Record<Role, readonly Permission[]> = {
  admin: ['view', 'token:mint', 'token:cancel', 'csr:sign', 'cert:revoke', 'federation:manage', 'user:manage', 'settings:manage'],
  operator: ['view', 'token:mint', 'token:cancel', 'csr:sign'],
  auditor: ['view'],
};

export function can(role: Role | undefined, permission: Permission): boolean {
  return role !== undefined && GRANTS[role].includes(permission);
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
