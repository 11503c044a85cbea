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
};

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge ${status}`}>{LABELS[status] ?? status}</span>;
}
