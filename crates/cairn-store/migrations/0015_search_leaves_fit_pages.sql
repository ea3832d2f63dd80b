-- Search index leaves that fit in one database page (issue 14).
--
-- FTS5 writes its index in leaves of up to 4,050 bytes (its default `pgsz`), sized for SQLite's
-- 4,096-byte pages. SQLCipher keeps 80 bytes of every page for the page's IV and MAC, so a row
-- holds at most 3,981 bytes in its page: every full leaf spilled into an overflow page, and each
-- leaf read or rewrite touched two pages (three with `secure_delete`, which zeroes the freed
-- overflow page). Secure-delete rewrites one leaf for every token an edit removes, so this was
-- paid at every save. 3,900 bytes leaves room for the few bytes FTS5 may write past `pgsz`.
-- Existing leaves take the new size as FTS5's merges rewrite them.
INSERT INTO search_fts (search_fts, rank) VALUES ('pgsz', 3900);
INSERT INTO search_pairs (search_pairs, rank) VALUES ('pgsz', 3900);
