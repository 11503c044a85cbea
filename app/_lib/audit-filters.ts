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
