import type { AuditRow } from '@/db/schema';
import { auditFilterInput, auditFilters } from '@/app/_lib/audit-filters';
import { csvField } from '@/app/_lib/csv';
import { withPermission } from '@/app/_lib/route';
import { runtime } from '@/app/_lib/runtime';

const COLUMNS = ['id', 'time', 'action', 'outcome', 'actor', 'source_ip', 'federation', 'target', 'details'];

function csvRow(r: AuditRow): string {
  return [String(r.id), r.at.toISOString(), r.action, r.outcome, r.actor, r.sourceIp ?? '', r.federationId ?? '', r.target ?? '', r.details ? JSON.stringify(r.details) : '']
    .map(csvField)
    .join(',');
}

/** The audit log (filtered like the page) as CSV, streamed newest first. */
export const GET = withPermission('view', async (req) => {
  const q = new URL(req.url).searchParams;
  const filters = auditFilters(auditFilterInput((k) => q.get(k)));
  const rows = runtime().queries.iterateAudit(filters)[Symbol.asyncIterator]();
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(`${COLUMNS.join(',')}\r\n`));
    },
    async pull(controller) {
      let chunk = '';
      for (let i = 0; i < 500; i++) {
        const next = await rows.next();
        if (next.done) {
          if (chunk) controller.enqueue(encoder.encode(chunk));
          controller.close();
          return;
        }
        chunk += `${csvRow(next.value)}\r\n`;
      }
      controller.enqueue(encoder.encode(chunk));
    },
  });
  const stamp = new Date().toISOString().slice(0, 10);
  return new Response(body, {
    headers: { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="fedpki-audit-${stamp}.csv"`, 'Cache-Control': 'no-store' },
  });
});
