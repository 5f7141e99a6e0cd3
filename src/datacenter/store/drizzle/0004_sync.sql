CREATE TABLE "change_log" (
	"v" bigint NOT NULL,
	"seq" integer NOT NULL,
	"table_name" text NOT NULL,
	"key" text NOT NULL,
	"op" text NOT NULL,
	"scope" text,
	"prev_scope" text,
	"moved" boolean DEFAULT false NOT NULL,
	"row" jsonb,
	"committed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "change_log_pkey" PRIMARY KEY("v","seq"),
	CONSTRAINT "change_log_op_values" CHECK ("change_log"."op" in ('upsert', 'delete')),
	CONSTRAINT "change_log_row_on_upsert" CHECK (("change_log"."op" = 'upsert') = ("change_log"."row" is not null))
);
--> statement-breakpoint
CREATE TABLE "client_mutations" (
	"client_id" text NOT NULL,
	"mutation_id" bigint NOT NULL,
	"name" text NOT NULL,
	"status" text NOT NULL,
	"error" jsonb,
	"result" jsonb,
	"v" bigint NOT NULL,
	"actor_id" text,
	"created_at" timestamp with time zone,
	"processed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "client_mutations_pkey" PRIMARY KEY("client_id","mutation_id"),
	CONSTRAINT "client_mutations_status_values" CHECK ("client_mutations"."status" in ('applied', 'rejected')),
	CONSTRAINT "client_mutations_error_on_reject" CHECK (("client_mutations"."status" = 'rejected') = ("client_mutations"."error" is not null))
);
--> statement-breakpoint
CREATE TABLE "sync_clients" (
	"client_id" text PRIMARY KEY NOT NULL,
	"last_mutation_id" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sync_rows" (
	"table_name" text NOT NULL,
	"key" text NOT NULL,
	"scope" text,
	"v" bigint NOT NULL,
	"row" jsonb NOT NULL,
	CONSTRAINT "sync_rows_pkey" PRIMARY KEY("table_name","key")
);
--> statement-breakpoint
CREATE TABLE "sync_version" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL,
	"v" bigint DEFAULT 0 NOT NULL,
	"pruned_through" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "sync_version_single_row" CHECK ("sync_version"."id" = 1)
);
--> statement-breakpoint
ALTER TABLE "areas" ADD COLUMN "v" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "areas" ADD COLUMN "scope" text;--> statement-breakpoint
ALTER TABLE "grid_workers" ADD COLUMN "v" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "grid_workers" ADD COLUMN "scope" text;--> statement-breakpoint
ALTER TABLE "grids" ADD COLUMN "v" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "grids" ADD COLUMN "scope" text;--> statement-breakpoint
ALTER TABLE "units" ADD COLUMN "v" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "units" ADD COLUMN "scope" text;--> statement-breakpoint
CREATE INDEX "client_mutations_client_v_idx" ON "client_mutations" USING btree ("client_id","v");--> statement-breakpoint
CREATE INDEX "client_mutations_v_idx" ON "client_mutations" USING btree ("v");--> statement-breakpoint
CREATE INDEX "sync_rows_table_scope_key_idx" ON "sync_rows" USING btree ("table_name","scope","key");