-- Names sort the same on every database: byte by byte, as SQLite's BINARY collation sorts them. Lists ordered by a
-- name (secrets, projects, environments, teams; members by email) followed the database's default collation on
-- PostgreSQL, and a cluster created with a language's collation (en_US, an ICU locale) orders "aB", "A_B" and "ab"
-- otherwise than SQLite and than a node on another database would: an export diffed between two servers, or a list a
-- script reads, changed with the store. "C" is byte order and exists on every PostgreSQL; equality is unchanged (every
-- collation here is deterministic), and the unique indexes on these columns are rebuilt with it.
ALTER TABLE secret ALTER COLUMN name TYPE TEXT COLLATE "C";
ALTER TABLE deleted_secret ALTER COLUMN name TYPE TEXT COLLATE "C";
ALTER TABLE project ALTER COLUMN name TYPE TEXT COLLATE "C";
ALTER TABLE environment ALTER COLUMN name TYPE TEXT COLLATE "C";
ALTER TABLE team ALTER COLUMN name TYPE TEXT COLLATE "C";
ALTER TABLE app_user ALTER COLUMN email TYPE TEXT COLLATE "C";
