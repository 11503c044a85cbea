DROP INDEX "certs_cn_idx";--> statement-breakpoint
CREATE INDEX "certs_status_federation_cn_idx" ON "certificates" USING btree ("status","federation_id","common_name","not_after");--> statement-breakpoint
CREATE INDEX "certs_cn_idx" ON "certificates" USING btree ("common_name_lower" collate "C","created_at");