const LABELS: Record<string, string> = {
  valid: 'valid',
  expired: 'expired',
  revoked: 'revoked',
  pending: 'pending',
  used: 'used',
  cancelled: 'cancelled',
  active: 'active',
  disabled: 'disabled',
  success: 'success',
  failure: 'failure',
  expiring: 'expiring soon',
  renewed: 'renewed',
};

/** `label` overrides the status's usual words (e.g. "12 days left" for expiring). */
export function StatusBadge({ status, label }: { status: string; label?: string }) {
  return <span className={`badge ${status}`}>{label ?? LABELS[status] ?? status}</span>;
}
