-- The audit trail is append-only in the database itself: any UPDATE, DELETE or TRUNCATE of
-- "audit" raises, whoever sends it. ENABLE ALWAYS keeps the triggers firing under
-- session_replication_role = replica too.
CREATE FUNCTION "audit_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'the audit trail is append-only: % on audit is not allowed', TG_OP
		USING ERRCODE = 'HY001', HINT = 'audit rows are written once by the workflow authority and never changed';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "audit_no_update_or_delete" BEFORE UPDATE OR DELETE ON "audit" FOR EACH ROW EXECUTE FUNCTION "audit_append_only"();
--> statement-breakpoint
CREATE TRIGGER "audit_no_truncate" BEFORE TRUNCATE ON "audit" FOR EACH STATEMENT EXECUTE FUNCTION "audit_append_only"();
--> statement-breakpoint
ALTER TABLE "audit" ENABLE ALWAYS TRIGGER "audit_no_update_or_delete";
--> statement-breakpoint
ALTER TABLE "audit" ENABLE ALWAYS TRIGGER "audit_no_truncate";
