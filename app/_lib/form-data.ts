/** FormData as a plain object for zod: repeated keys become arrays, empty file inputs are dropped. */
export function formObject(formData: FormData): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of formData) {
    if (key.startsWith('$ACTION')) continue;
    if (typeof value !== 'string' && value.size === 0 && !value.name) continue;
    const prev = out[key];
    out[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}
