-- The type change rewrites the table; lz4 where the server has it (PGlite and builds without it keep pglz): every snapshot reads this column whole and lz4 decompresses it several times faster. In one ALTER, so that the rewrite already writes lz4.
DO $$ BEGIN
  ALTER TABLE "sync_rows" ALTER COLUMN "row" SET DATA TYPE text USING "row"::text, ALTER COLUMN "row" SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  ALTER TABLE "sync_rows" ALTER COLUMN "row" SET DATA TYPE text USING "row"::text;
END $$;