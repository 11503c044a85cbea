/**
 * FormData as a plain object for zod: repeated keys become arrays, empty file inputs
 * are dropped. A browser sends a file input nobody used as an empty part, which can
 * reach a server action as an empty file with a made-up name (the CSR page's paste
 * box was refused that way), so emptiness alone decides.
 */
export function formObject(formData: FormData): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of formData) {
    if (key.startsWith('$ACTION')) continue;
    if (typeof value !== 'string' && value.size === 0) continue;
    const prev = out[key];
    out[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}
