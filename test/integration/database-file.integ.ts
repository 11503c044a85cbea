/**
 * The SQLite file taken from under a running server. A connection keeps the file it
 * opened: after `rm` it would go on issuing into an unlinked file, lost when it closes,
 * and the next start would find only the journal files and make a new CA beside them.
 * So the server stops when its file is deleted, replaced or emptied, and no start or
 * CLI verb takes a folder whose database is gone but whose journal files are not.
 */

import { existsSync, rmSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeCsr } from '../helpers/csr';
import { httpsRequest } from '../helpers/https';
import { runCli, startFedpki, type Fedpki } from '../helpers/server';

async function exited(srv: Fedpki, timeoutMs = 20_000): Promise<number | null> {
  const end = Date.now() + timeoutMs;
  while (srv.child.exitCode === null && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  return srv.child.exitCode;
}

const jwtOf = (token: string) => Buffer.from(token.split('.')[0]!, 'base64').toString('utf8');

describe('the database file under a running server', () => {
  it('deleted: the server stops with exit 1 and says why, and nothing starts on the journal files left', async () => {
    const srv = await startFedpki();
    try {
      const db = join(srv.dataDir, 'fedpki.db');
      rmSync(db);
      expect(await exited(srv)).toBe(1);
      expect(srv.logs()).toMatch(/error the database file was deleted or moved while FedPKI ran: stopping, so that nothing more is issued into it file=\S+fedpki\.db/);
      expect(srv.logs()).toContain(`fedpki: Stopped: the database file ${db} was deleted or moved. Put it back, or restore a backup with \`fedpki import\`, before starting again.`);
      // The journal files are left; a start (or any verb) refuses them rather than making a new CA.
      expect(existsSync(`${db}-wal`) || existsSync(`${db}-shm`)).toBe(true);
      const again = runCli(['run', '-p', srv.dataDir, '--password-file', srv.passwordFile, '--api-only'], srv.env);
      expect(again.status).toBe(1);
      expect(again.stderr).toMatch(new RegExp(`^fedpki: ${db.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is missing, but fedpki\\.db-(wal|shm) beside it is not: the database was deleted or moved while FedPKI used it\\.`));
      expect(existsSync(db), 'no new CA was made').toBe(false);
      const verb = runCli(['get-token', '-n', 'x', '-p', srv.dataDir, '--password-file', srv.passwordFile], srv.env);
      expect(verb.status).toBe(1);
      expect(verb.stderr).toContain('is missing, but fedpki.db-');
      // Nor an import, which would open a new database beside the old -wal (SQLite would replay it).
      const imported = runCli(['import', '-p', srv.dataDir, '-i', db], srv.env);
      expect(imported.status).toBe(1);
      expect(imported.stderr).toContain('is missing, but fedpki.db-');
      expect(existsSync(db), 'no new database was made').toBe(false);
    } finally {
      await srv.stop();
      srv.cleanup();
    }
  });

  it('emptied: the server stops with exit 1 before it issues into a file no start can read', async () => {
    const srv = await startFedpki();
    try {
      const token = srv.mint('before-truncate');
      truncateSync(join(srv.dataDir, 'fedpki.db'), 0);
      expect(await exited(srv)).toBe(1);
      expect(srv.logs()).toMatch(/error the database file was emptied or overwritten while FedPKI ran/);
      // It no longer answers, so no node is given a certificate that is then lost.
      await expect(httpsRequest(`${srv.origin}/1.0/sign`, { body: { csr: (await makeCsr('before-truncate')).pem, ott: jwtOf(token) }, ca: srv.rootPem })).rejects.toThrow();
    } finally {
      await srv.stop();
      srv.cleanup();
    }
  });
});
