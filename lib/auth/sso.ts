/**
 * Single sign-on role mapping. OIDC_ROLE_MAP is an allow-list of
 * `pattern=role` pairs separated by commas, where a pattern is an exact e-mail
 * address, `*@domain` or `*`: "alice@example.org=admin,*@example.org=auditor".
 * An exact address wins over its domain, a domain over `*`; an address that matches
 * nothing may not sign in.
 */

import { isRole, type Role } from './roles';

export interface RoleRule {
  pattern: string;
  role: Role;
}

/** @throws Error naming the first malformed pair */
export function parseRoleMap(text: string | undefined): RoleRule[] {
  if (!text?.trim()) return [];
  return text
    .split(',')
    .map((pair) => pair.trim())
    .filter(Boolean)
    .map((pair) => {
      const i = pair.lastIndexOf('=');
      const pattern = pair.slice(0, i).trim().toLowerCase();
      const role = pair.slice(i + 1).trim();
      if (i <= 0 || !isRole(role) || !/^(\*|\*@[^@\s]+|[^@\s*]+@[^@\s*]+)$/.test(pattern)) {
        throw new Error(`OIDC_ROLE_MAP: "${pair}" is not pattern=role (pattern: an address, *@domain or *; role: admin, operator or auditor).`);
      }
      return { pattern, role };
    });
}

export function roleForEmail(rules: readonly RoleRule[], email: string): Role | undefined {
  const address = email.trim().toLowerCase();
  const domain = address.slice(address.lastIndexOf('@'));
  return (
    rules.find((r) => r.pattern === address)?.role ??
    rules.find((r) => r.pattern === `*${domain}`)?.role ??
    rules.find((r) => r.pattern === '*')?.role
  );
}
