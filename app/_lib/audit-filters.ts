/** The audit log's filters, read the same way by the page and the CSV export. */

import { ActivityType } from '@/lib/ca/audit';
import type { AuditFilters } from '@/db/queries/audit';

export const AUDIT_ACTIONS = Object.values(ActivityType).sort();

const DAY = 86_400_000;

function date(value: string | null | undefined): Date | undefined {
  if (!value || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  const d = new Date(`${value}T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export interface AuditFilterInput {
  action?: string;
  actor?: string;
  federation?: string;
  outcome?: string;
  from?: string;
  to?: string;
}

const FILTER_KEYS = ['action', 'actor', 'federation', 'outcome', 'from', 'to'] as const satisfies readonly (keyof AuditFilterInput)[];

/** The filters' query parameters, read with `get` (a page's searchParams or a URL's), unset ones left out. */
export function auditFilterInput(get: (key: string) => string | null | undefined): AuditFilterInput {
  const input: AuditFilterInput = {};
  for (const k of FILTER_KEYS) {
    const v = get(k);
    if (v) input[k] = v;
  }
  return input;
}

/** Unknown values are dropped rather than refused: a filter link never errors. */
export function auditFilters(input: AuditFilterInput): AuditFilters {
  const to = date(input.to);
  return {
    action: (AUDIT_ACTIONS as string[]).includes(input.action ?? '') ? input.action : undefined,
    actor: input.actor?.trim().slice(0, 128) || undefined,
    federationId: input.federation?.trim() || undefined,
    outcome: input.outcome === 'success' || input.outcome === 'failure' ? input.outcome : undefined,
    from: date(input.from),
    // "to" is a day: include all of it.
    to: to && new Date(to.getTime() + DAY),
  };
}
