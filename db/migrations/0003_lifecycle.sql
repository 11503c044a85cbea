CREATE TABLE `crl_counters` (
	`federation_id` text PRIMARY KEY NOT NULL,
	`last_number` integer NOT NULL,
	FOREIGN KEY (`federation_id`) REFERENCES `federations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `used_once` (
	`id` text PRIMARY KEY NOT NULL,
	`purpose` text NOT NULL,
	`used_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `used_once_expires_idx` ON `used_once` (`expires_at`);--> statement-breakpoint
CREATE INDEX `certs_renewed_from_idx` ON `certificates` (`renewed_from`) WHERE "certificates"."renewed_from" is not null;