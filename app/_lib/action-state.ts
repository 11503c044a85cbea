/** What a server action answers a form with. Importable by client components. */

export interface ActionState<T = undefined> {
  ok?: boolean;
  /** A sentence for the top of the form. */
  error?: string;
  /** Sentences for individual fields, by field name. */
  fieldErrors?: Record<string, string[] | undefined>;
  data?: T;
}
