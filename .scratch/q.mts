import { openDatabase } from '../db/client.ts';
import { listCertificates } from '../db/queries/certificates-expiry.ts';
import { certificates } from '../db/schema.ts';
import { sql } from 'drizzle-orm';
const db = openDatabase({ file: '/tmp/lc/data/fedpki.db', migrationsFolder: '/work/wt-lifecycle/db/migrations' });
console.log(listCertificates(db).map(r => [r.serial, r.superseded, r.renewedFrom]));
console.log(db.select({ s: sql`exists (select 1 from ${certificates} as renewal where renewal.renewed_from = ${certificates.serial})` }).from(certificates).toSQL());
