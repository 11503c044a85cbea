CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`action` text NOT NULL,
	`actor` text NOT NULL,
	`source_ip` text,
	`federation_id` text,
	`target` text,
	`outcome` text NOT NULL,
	`details` text
);
--> statement-breakpoint
CREATE INDEX `audit_at_idx` ON `audit_log` (`at`);--> statement-breakpoint
CREATE INDEX `audit_federation_at_idx` ON `audit_log` (`federation_id`,`at`);--> statement-breakpoint
CREATE INDEX `audit_action_at_idx` ON `audit_log` (`action`,`at`);--> statement-breakpoint
CREATE TABLE `ca_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`federation_id` text NOT NULL,
	`purpose` text NOT NULL,
	`key_spec` text NOT NULL,
	`encrypted_key` text NOT NULL,
	`certificate` blob,
	`public_jwk` text,
	`fingerprint` text,
	`not_after` integer,
	`active` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`federation_id`) REFERENCES `federations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `ca_keys_federation_idx` ON `ca_keys` (`federation_id`,`purpose`);--> statement-breakpoint
CREATE TABLE `certificates` (
	`serial` text PRIMARY KEY NOT NULL,
	`federation_id` text NOT NULL,
	`common_name` text NOT NULL,
	`common_name_lower` text NOT NULL,
	`sans` text NOT NULL,
	`role` text NOT NULL,
	`key_description` text NOT NULL,
	`not_before` integer NOT NULL,
	`not_after` integer NOT NULL,
	`der` blob NOT NULL,
	`fingerprint` text NOT NULL,
	`source` text NOT NULL,
	`token_jti` text,
	`renewed_from` text,
	`issued_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`status` text DEFAULT 'valid' NOT NULL,
	`revoked_at` integer,
	`revocation_reason` integer,
	FOREIGN KEY (`federation_id`) REFERENCES `federations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `certificates_fingerprint_unique` ON `certificates` (`fingerprint`);--> statement-breakpoint
CREATE UNIQUE INDEX `certificates_token_jti_unique` ON `certificates` (`token_jti`);--> statement-breakpoint
CREATE INDEX `certs_federation_created_idx` ON `certificates` (`federation_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `certs_federation_not_after_idx` ON `certificates` (`federation_id`,`not_after`);--> statement-breakpoint
CREATE INDEX `certs_created_idx` ON `certificates` (`created_at`);--> statement-breakpoint
CREATE INDEX `certs_not_after_idx` ON `certificates` (`not_after`);--> statement-breakpoint
CREATE INDEX `certs_cn_idx` ON `certificates` (`common_name_lower`,`created_at`);--> statement-breakpoint
CREATE INDEX `certs_status_not_after_idx` ON `certificates` (`status`,`not_after`);--> statement-breakpoint
CREATE TABLE `crls` (
	`federation_id` text PRIMARY KEY NOT NULL,
	`number` integer NOT NULL,
	`this_update` integer NOT NULL,
	`next_update` integer NOT NULL,
	`der` blob NOT NULL,
	FOREIGN KEY (`federation_id`) REFERENCES `federations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `federations` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`ca_url` text NOT NULL,
	`key_spec` text NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`public_url` text,
	`default_cert_seconds` integer NOT NULL,
	`allow_renew_after_expiry` integer DEFAULT false NOT NULL,
	`provisioner_name` text NOT NULL,
	`provisioner_kid` text NOT NULL,
	`root_fingerprint` text NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `federations_name_unique` ON `federations` (`name`);--> statement-breakpoint
CREATE UNIQUE INDEX `federations_ca_url_unique` ON `federations` (`ca_url`);--> statement-breakpoint
CREATE UNIQUE INDEX `federations_provisioner_kid_unique` ON `federations` (`provisioner_kid`);--> statement-breakpoint
CREATE TABLE `revocations` (
	`serial` text PRIMARY KEY NOT NULL,
	`federation_id` text NOT NULL,
	`reason_code` integer NOT NULL,
	`reason` text,
	`revoked_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`actor` text NOT NULL,
	`via` text NOT NULL,
	FOREIGN KEY (`serial`) REFERENCES `certificates`(`serial`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`federation_id`) REFERENCES `federations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `revocations_federation_idx` ON `revocations` (`federation_id`,`expires_at`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`ended_at` integer,
	`source_ip` text,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `sessions_user_idx` ON `sessions` (`user_id`);--> statement-breakpoint
CREATE TABLE `settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `sign_in_throttle` (
	`key` text PRIMARY KEY NOT NULL,
	`failures` integer NOT NULL,
	`first_failure_at` integer NOT NULL,
	`locked_until` integer
);
--> statement-breakpoint
CREATE TABLE `tokens` (
	`jti` text PRIMARY KEY NOT NULL,
	`federation_id` text NOT NULL,
	`kind` text DEFAULT 'sign' NOT NULL,
	`subject` text NOT NULL,
	`sans` text NOT NULL,
	`role` text NOT NULL,
	`cert_seconds` integer NOT NULL,
	`not_before` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	`state` text DEFAULT 'pending' NOT NULL,
	`used_at` integer,
	`cert_serial` text,
	`cancelled_at` integer,
	`cancelled_by` text,
	FOREIGN KEY (`federation_id`) REFERENCES `federations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `tokens_federation_created_idx` ON `tokens` (`federation_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `tokens_state_expires_idx` ON `tokens` (`state`,`expires_at`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`username` text NOT NULL,
	`display_name` text,
	`role` text NOT NULL,
	`password_hash` text,
	`provider` text DEFAULT 'credentials' NOT NULL,
	`disabled` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	`last_sign_in_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_username_unique` ON `users` (`username`);--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`serial` text NOT NULL,
	`threshold` integer NOT NULL,
	`state` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`last_error` text,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`serial`, `threshold`)
);
--> statement-breakpoint
CREATE INDEX `webhook_state_idx` ON `webhook_deliveries` (`state`,`next_attempt_at`);