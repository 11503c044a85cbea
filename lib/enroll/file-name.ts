/**
 * A name made safe for a file name on every OS: anything but letters, digits, dot,
 * hyphen and underscore becomes "_" (FedPKI subjects are already of that alphabet,
 * except IPv6 literals). Its own module so the renewal page names files as the
 * enrollment bundles do without loading the zip code.
 */
export function fileSafeName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return safe || 'node';
}
