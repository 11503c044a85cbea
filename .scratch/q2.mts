import { openDatabase } from '../db/client';
import { SqliteCaStore } from '../db/store';
import { listCertificates } from '../db/queries/certificates-expiry';
const db = openDatabase({ file: '/tmp/lc/data/fedpki.db', migrationsFolder: '/work/wt-lifecycle/db/migrations' });
console.log(listCertificates(db).map(r => [r.serial, r.superseded]));
const store = new SqliteCaStore(db);
const orig = db.$client.prepare.bind(db.$client);
(db.$client as any).prepare = (s: string) => { console.log('SQL', s); return orig(s); };
console.log(await store.findExpiryNoticesDue({ threshold: 400, from: new Date(), until: new Date(Date.now() + 400 * 86400e3), limit: 10 }));
