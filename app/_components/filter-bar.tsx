import Link from 'next/link';

/** The "Federation" choice of a list's filter bar (a GET form). */
export function FederationFilter({ federations, value, allLabel = 'All' }: { federations: { id: string; name: string }[]; value?: string; allLabel?: string }) {
  return (
    <div className="field">
      <label htmlFor="federation">Federation</label>
      <select id="federation" name="federation" defaultValue={value ?? ''}>
        <option value="">{allLabel}</option>
        {federations.map((f) => (
          <option key={f.id} value={f.id}>
            {f.name}
          </option>
        ))}
      </select>
    </div>
  );
}

/** Apply, and while a filter is set, Clear (back to the unfiltered list at `clearHref`). */
export function FilterActions({ filtered, clearHref }: { filtered: boolean; clearHref: string }) {
  return (
    <div className="form-actions">
      <button type="submit" className="button">
        Apply
      </button>
      {filtered && (
        <Link href={clearHref} className="button secondary">
          Clear
        </Link>
      )}
    </div>
  );
}
