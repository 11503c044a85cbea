CREATE TABLE "crl_counters" (
	"federation_id" text PRIMARY KEY NOT NULL,
	"last_number" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "used_once" (
	"id" text PRIMARY KEY NOT NULL,
	"purpose" text NOT NULL,
	"used_at" timestamp (3) with time zone NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "crl_counters" ADD CONSTRAINT "crl_counters_federation_id_federations_id_fk" FOREIGN KEY ("federation_id") REFERENCES "public"."federations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "used_once_expires_idx" ON "used_once" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "certs_renewed_from_idx" ON "certificates" USING btree ("renewed_from") WHERE "certificates"."renewed_from" is not null;