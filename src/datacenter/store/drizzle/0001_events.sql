CREATE TABLE "audit" (
	"event_id" text NOT NULL,
	"seq" integer NOT NULL,
	"v" bigint NOT NULL,
	"scope" text,
	"doc" jsonb NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"command" text NOT NULL,
	"actor_id" text NOT NULL,
	CONSTRAINT "audit_pkey" PRIMARY KEY("event_id","seq"),
	CONSTRAINT "audit_seq_positive" CHECK ("audit"."seq" > 0)
);
--> statement-breakpoint
CREATE TABLE "case_no_counters" (
	"day" text PRIMARY KEY NOT NULL,
	"last" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "config" (
	"key" text PRIMARY KEY NOT NULL,
	"v" bigint NOT NULL,
	"doc" jsonb NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"updated_by" text NOT NULL,
	CONSTRAINT "config_key_values" CHECK ("config"."key" in ('calendar', 'taxonomy', 'responsibility', 'workflow'))
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" text PRIMARY KEY NOT NULL,
	"case_no" text NOT NULL,
	"v" bigint NOT NULL,
	"scope" text,
	"doc" jsonb NOT NULL,
	"status" text NOT NULL,
	"source" text NOT NULL,
	"category" text,
	"town" text,
	"village" text,
	"grid" text,
	"urgency" text NOT NULL,
	"supervision_level" smallint DEFAULT 0 NOT NULL,
	"lead_unit" text,
	"reported_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"next_check_at" timestamp with time zone,
	"lon" double precision,
	"lat" double precision,
	"geo_cell" integer,
	"external_system" text,
	"external_id" text,
	"intake" jsonb NOT NULL,
	CONSTRAINT "events_status_values" CHECK ("events"."status" in ('reported', 'verifying', 'filed', 'rejected', 'dispatched', 'bounced', 'signed', 'in_progress', 'parked', 'handled', 'checking', 'checked', 'rework', 'closed', 'evaluated', 'merged', 'cancelled')),
	CONSTRAINT "events_urgency_values" CHECK ("events"."urgency" in ('normal', 'urgent', 'critical')),
	CONSTRAINT "events_supervision_level_range" CHECK ("events"."supervision_level" between 0 and 3),
	CONSTRAINT "events_external_ref_whole" CHECK (("events"."external_system" is null) = ("events"."external_id" is null)),
	CONSTRAINT "events_position_whole" CHECK (("events"."lon" is null) = ("events"."lat" is null))
);
--> statement-breakpoint
ALTER TABLE "audit" ADD CONSTRAINT "audit_event_id_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."events"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_at_idx" ON "audit" USING btree ("at");--> statement-breakpoint
CREATE INDEX "audit_actor_at_idx" ON "audit" USING btree ("actor_id","at");--> statement-breakpoint
CREATE INDEX "audit_v_idx" ON "audit" USING btree ("v");--> statement-breakpoint
CREATE UNIQUE INDEX "events_case_no_key" ON "events" USING btree ("case_no");--> statement-breakpoint
CREATE UNIQUE INDEX "events_external_ref_key" ON "events" USING btree ("external_system","external_id") WHERE "events"."external_system" is not null;--> statement-breakpoint
CREATE INDEX "events_reported_at_idx" ON "events" USING btree ("reported_at","id");--> statement-breakpoint
CREATE INDEX "events_status_reported_at_idx" ON "events" USING btree ("status","reported_at");--> statement-breakpoint
CREATE INDEX "events_town_reported_at_idx" ON "events" USING btree ("town","reported_at");--> statement-breakpoint
CREATE INDEX "events_source_reported_at_idx" ON "events" USING btree ("source","reported_at");--> statement-breakpoint
CREATE INDEX "events_category_idx" ON "events" USING btree ("category" text_pattern_ops);--> statement-breakpoint
CREATE INDEX "events_next_check_at_idx" ON "events" USING btree ("next_check_at") WHERE "events"."next_check_at" is not null;--> statement-breakpoint
CREATE INDEX "events_geo_cell_reported_at_idx" ON "events" USING btree ("geo_cell","reported_at") WHERE "events"."geo_cell" is not null;--> statement-breakpoint
CREATE INDEX "events_v_idx" ON "events" USING btree ("v");