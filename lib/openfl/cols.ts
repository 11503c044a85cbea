/**
 * OpenFL's plan/cols.yaml: the collaborators the aggregator admits, as
 * `fx collaborator certify` maintains it (PyYAML dump of {"collaborators": [...]}).
 */

/** Plain scalars PyYAML would not read back as the same string (bools, nulls, numbers…). */
function needsQuotes(name: string): boolean {
  return !/^[A-Za-z_][A-Za-z0-9._-]*$/.test(name) || /^(y|n|yes|no|true|false|on|off|null)$/i.test(name);
}

export function colsYaml(names: readonly string[]): string {
  if (names.length === 0) return 'collaborators: []\n';
  return `collaborators:\n${names.map((n) => `- ${needsQuotes(n) ? `'${n.replace(/'/g, "''")}'` : n}`).join('\n')}\n`;
}
