/**
 * One CSV field. Quotes when needed, and defuses values a spreadsheet would run as a
 * formula (a leading = + - @), since actors and targets can hold text people typed.
 */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
