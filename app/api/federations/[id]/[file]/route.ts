import { CaError } from '@/lib/ca/errors';
import { colsYaml } from '@/lib/openfl/cols';
import { download, withPermission } from '@/app/_lib/route';
import { runtime } from '@/app/_lib/runtime';

/**
 * A federation's public files: root_ca.crt, intermediate_ca.crt, cert_chain.crt (root
 * then intermediate, OpenFL's trust bundle) and plan/cols.yaml (its enrolled
 * collaborators). Signed-in users of any role.
 */
export const GET = withPermission<{ id: string; file: string }>('view', async (_req, { id, file }) => {
  const rt = runtime();
  const ctx = rt.authority.keyring.get(id);
  if (!ctx) throw new CaError('not_found', `No federation "${id}".`);
  const pem = 'application/x-pem-file';
  switch (file) {
    case 'root_ca.crt':
      return download(ctx.root.pem, `${id}_root_ca.crt`, pem);
    case 'intermediate_ca.crt':
      return download(ctx.intermediate.pem, `${id}_intermediate_ca.crt`, pem);
    case 'cert_chain.crt':
      return download(ctx.root.pem + ctx.intermediate.pem, 'cert_chain.crt', pem);
    case 'cols.yaml':
      return download(colsYaml(await rt.queries.listEnrolledCollaborators({ federationId: id })), 'cols.yaml', 'application/yaml');
    default:
      throw new CaError('not_found', 'No such file: root_ca.crt, intermediate_ca.crt, cert_chain.crt or cols.yaml.');
  }
});
