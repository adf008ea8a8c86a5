-- Audit groups compressed with lz4 instead of pglz: a group of a few dozen read entries is 20-40 KB of text, and pglz
-- compressing it cost PostgreSQL 10-13% of a core under an audited read load (lz4 about a third of that). A PostgreSQL
-- built without lz4 (or older than 14) keeps pglz: the migration then changes nothing. Rows stored before keep their
-- compression; both are read transparently.
DO $$ BEGIN EXECUTE 'ALTER TABLE audit_block ALTER COLUMN entries SET COMPRESSION lz4'; EXCEPTION WHEN feature_not_supported OR syntax_error THEN RAISE NOTICE 'audit_block.entries keeps its default compression: %', SQLERRM; END $$;
