CREATE TABLE "areas" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"level" text NOT NULL,
	"kind" text NOT NULL,
	"parent_code" text,
	"label_lon" double precision NOT NULL,
	"label_lat" double precision NOT NULL,
	"min_lon" double precision NOT NULL,
	"min_lat" double precision NOT NULL,
	"max_lon" double precision NOT NULL,
	"max_lat" double precision NOT NULL,
	"geometry" jsonb NOT NULL,
	"population" integer NOT NULL,
	CONSTRAINT "areas_code_format" CHECK ("areas"."code" ~ '^[0-9]{6}([0-9]{6})?$'),
	CONSTRAINT "areas_level_values" CHECK ("areas"."level" in ('district', 'town', 'village')),
	CONSTRAINT "areas_kind_values" CHECK ("areas"."kind" in ('district', 'subdistrict', 'town', 'community', 'village')),
	CONSTRAINT "areas_population_nonnegative" CHECK ("areas"."population" >= 0),
	CONSTRAINT "areas_district_is_root" CHECK (("areas"."level" = 'district') = ("areas"."parent_code" is null))
);
--> statement-breakpoint
CREATE TABLE "grid_assignments" (
	"grid_code" text NOT NULL,
	"worker_id" text NOT NULL,
	"position" smallint NOT NULL,
	CONSTRAINT "grid_assignments_pkey" PRIMARY KEY("grid_code","worker_id"),
	CONSTRAINT "grid_assignments_position_nonnegative" CHECK ("grid_assignments"."position" >= 0)
);
--> statement-breakpoint
CREATE TABLE "grid_workers" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"phone" text NOT NULL,
	"village_code" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "grids" (
	"code" text NOT NULL,
	"valid_from" date NOT NULL,
	"valid_to" date,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"village_code" text NOT NULL,
	"town_code" text NOT NULL,
	"label_lon" double precision NOT NULL,
	"label_lat" double precision NOT NULL,
	"min_lon" double precision NOT NULL,
	"min_lat" double precision NOT NULL,
	"max_lon" double precision NOT NULL,
	"max_lat" double precision NOT NULL,
	"geometry" jsonb NOT NULL,
	CONSTRAINT "grids_pkey" PRIMARY KEY("code","valid_from"),
	CONSTRAINT "grids_code_format" CHECK ("grids"."code" ~ '^[0-9]{15}$'),
	CONSTRAINT "grids_kind_values" CHECK ("grids"."kind" in ('community', 'rural')),
	CONSTRAINT "grids_valid_range" CHECK ("grids"."valid_to" is null or "grids"."valid_to" > "grids"."valid_from")
);
--> statement-breakpoint
CREATE TABLE "meta" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL,
	"epoch" uuid NOT NULL,
	"reference_version" text,
	"reference_source" text,
	"reference_updated_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "meta_single_row" CHECK ("meta"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "units" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"short_name" text NOT NULL,
	"kind" text NOT NULL,
	"area_code" text,
	"parent_id" text,
	"lon" double precision NOT NULL,
	"lat" double precision NOT NULL,
	"phone" text NOT NULL,
	"sort_order" integer NOT NULL,
	CONSTRAINT "units_kind_values" CHECK ("units"."kind" in ('district', 'department', 'town', 'village'))
);
--> statement-breakpoint
ALTER TABLE "areas" ADD CONSTRAINT "areas_parent_code_areas_code_fk" FOREIGN KEY ("parent_code") REFERENCES "public"."areas"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grid_assignments" ADD CONSTRAINT "grid_assignments_worker_id_grid_workers_id_fk" FOREIGN KEY ("worker_id") REFERENCES "public"."grid_workers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grid_workers" ADD CONSTRAINT "grid_workers_village_code_areas_code_fk" FOREIGN KEY ("village_code") REFERENCES "public"."areas"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grids" ADD CONSTRAINT "grids_village_code_areas_code_fk" FOREIGN KEY ("village_code") REFERENCES "public"."areas"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grids" ADD CONSTRAINT "grids_town_code_areas_code_fk" FOREIGN KEY ("town_code") REFERENCES "public"."areas"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "units" ADD CONSTRAINT "units_area_code_areas_code_fk" FOREIGN KEY ("area_code") REFERENCES "public"."areas"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "units" ADD CONSTRAINT "units_parent_id_fk" FOREIGN KEY ("parent_id") REFERENCES "public"."units"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "areas_parent_code_idx" ON "areas" USING btree ("parent_code");--> statement-breakpoint
CREATE INDEX "grid_assignments_worker_id_idx" ON "grid_assignments" USING btree ("worker_id");--> statement-breakpoint
CREATE INDEX "grid_workers_village_code_idx" ON "grid_workers" USING btree ("village_code");--> statement-breakpoint
CREATE INDEX "grids_village_code_idx" ON "grids" USING btree ("village_code");--> statement-breakpoint
CREATE INDEX "grids_town_code_idx" ON "grids" USING btree ("town_code");--> statement-breakpoint
CREATE UNIQUE INDEX "grids_one_current_version" ON "grids" USING btree ("code") WHERE "grids"."valid_to" is null;--> statement-breakpoint
CREATE INDEX "units_area_code_idx" ON "units" USING btree ("area_code");