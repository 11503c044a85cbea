CREATE TABLE `compromised_keys` (
	`key_sha256` text PRIMARY KEY NOT NULL,
	`serial` text NOT NULL,
	`federation_id` text NOT NULL,
	`reported_at` integer NOT NULL,
	`actor` text NOT NULL,
	FOREIGN KEY (`serial`) REFERENCES `certificates`(`serial`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`federation_id`) REFERENCES `federations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
ALTER TABLE `certificates` ADD `key_sha256` text;