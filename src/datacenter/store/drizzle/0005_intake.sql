CREATE TABLE "external_refs" (
	"system" text NOT NULL,
	"ref_id" text NOT NULL,
	"source" text NOT NULL,
	"event_id" text,
	"case_no" text,
	"payload_hash" text NOT NULL,
	"claimed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone,
	CONSTRAINT "external_refs_pkey" PRIMARY KEY("system","ref_id"),
	CONSTRAINT "external_refs_complete" CHECK (("external_refs"."event_id" is null) = ("external_refs"."created_at" is null))
);
--> statement-breakpoint
CREATE TABLE "intake_quarantine" (
	"id" text PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"content_type" text,
	"raw_payload" text NOT NULL,
	"errors" jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"replayed_event_id" text,
	"fixed_payload" text,
	"fixed_content_type" text,
	"replay_attempts" integer DEFAULT 0 NOT NULL,
	"replay_started_at" timestamp with time zone,
	"resolved_at" timestamp with time zone,
	"resolved_by" text,
	"note" text,
	"remote_address" text,
	CONSTRAINT "intake_quarantine_status_values" CHECK ("intake_quarantine"."status" in ('pending', 'replayed', 'discarded')),
	CONSTRAINT "intake_quarantine_replayed_has_event" CHECK (("intake_quarantine"."status" = 'replayed') = ("intake_quarantine"."replayed_event_id" is not null)),
	CONSTRAINT "intake_quarantine_resolved_when_done" CHECK (("intake_quarantine"."status" = 'pending') = ("intake_quarantine"."resolved_at" is null))
);
--> statement-breakpoint
CREATE INDEX "external_refs_event_id_idx" ON "external_refs" USING btree ("event_id");--> statement-breakpoint
CREATE INDEX "intake_quarantine_status_received_idx" ON "intake_quarantine" USING btree ("status","received_at");--> statement-breakpoint
CREATE INDEX "intake_quarantine_source_idx" ON "intake_quarantine" USING btree ("source");