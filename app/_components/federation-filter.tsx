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
