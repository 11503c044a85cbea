CREATE TABLE "compromised_keys" (
	"key_sha256" text PRIMARY KEY NOT NULL,
	"serial" text NOT NULL,
	"federation_id" text NOT NULL,
	"reported_at" timestamp (3) with time zone NOT NULL,
	"actor" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "certificates" ADD COLUMN "key_sha256" text;--> statement-breakpoint
ALTER TABLE "compromised_keys" ADD CONSTRAINT "compromised_keys_serial_certificates_serial_fk" FOREIGN KEY ("serial") REFERENCES "public"."certificates"("serial") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "compromised_keys" ADD CONSTRAINT "compromised_keys_federation_id_federations_id_fk" FOREIGN KEY ("federation_id") REFERENCES "public"."federations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "certs_key_idx" ON "certificates" USING btree ("key_sha256");