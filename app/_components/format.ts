/** Dates and durations as the portal prints them: UTC, to the minute, plus a relative hint. */

const pad = (n: number) => String(n).padStart(2, '0');

export function formatDateTime(d: Date | null | undefined): string {
  if (!d) return '—';
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

export function formatDate(d: Date | null | undefined): string {
  if (!d) return '—';
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** "in 3 days", "5 hours ago". */
export function relative(d: Date, now = new Date()): string {
  const diff = d.getTime() - now.getTime();
  const abs = Math.abs(diff);
  const units: [number, string][] = [
    [86_400_000 * 365, 'year'],
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
  ];
  for (const [ms, unit] of units) {
    if (abs >= ms) {
      const n = Math.round(abs / ms);
      const text = `${n} ${unit}${n === 1 ? '' : 's'}`;
      return diff >= 0 ? `in ${text}` : `${text} ago`;
    }
  }
  return diff >= 0 ? 'in under a minute' : 'just now';
}

export function formatDuration(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400} day${seconds === 86_400 ? '' : 's'}`;
  if (seconds % 3600 === 0) return `${seconds / 3600} hour${seconds === 3600 ? '' : 's'}`;
  return `${Math.round(seconds / 60)} minutes`;
}

/** Hex with a colon every byte, as OpenSSL prints fingerprints and serials (shared with /enroll and the CLI). */
export { colonHex } from '@/lib/pki/encoding';

/** "12 days left", "5 hours left": how long until `d`, rounded as `relative` rounds. */
export function timeLeft(d: Date, now = new Date()): string {
  const ms = d.getTime() - now.getTime();
  if (ms <= 0) return 'expired';
  if (ms >= 86_400_000) {
    const days = Math.round(ms / 86_400_000);
    return `${days} day${days === 1 ? '' : 's'} left`;
  }
  const hours = Math.max(1, Math.round(ms / 3_600_000));
  return `${hours} hour${hours === 1 ? '' : 's'} left`;
}
