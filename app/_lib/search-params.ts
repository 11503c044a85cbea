/** A page's search parameters, as Next.js hands them to it. */
export type SearchParams = Promise<Record<string, string | string[] | undefined>>;

/** The first value of a parameter that may repeat. */
export const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
