ALTER TABLE "sync_rows" ADD COLUMN "cols" text;--> statement-breakpoint
ALTER TABLE "sync_rows" ADD COLUMN "cols_version" integer;--> statement-breakpoint
ALTER TABLE "sync_rows" ADD CONSTRAINT "sync_rows_cols_versioned" CHECK (("sync_rows"."cols" is null) = ("sync_rows"."cols_version" is null));