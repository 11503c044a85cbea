ALTER TABLE "certificates" DROP CONSTRAINT "certificates_fingerprint_unique";--> statement-breakpoint
ALTER TABLE "certificates" DROP CONSTRAINT "certificates_token_jti_unique";--> statement-breakpoint
DROP INDEX "certs_status_not_after_idx";--> statement-breakpoint
DROP INDEX "tokens_state_expires_idx";