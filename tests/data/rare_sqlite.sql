-- Valid-but-rare SQLite (issue 16). Each case runs on a fresh copy of the
-- setup, through helpers.db and through plain sqlite3; both must give the
-- same rows (the statement's own rows, then the check query's). Format:
--   -- case: <name>        the statement follows, up to the next marker
--   -- check: <SELECT>     optional, one line: compared after the statement
-- SQLite here: 3.40.1 (numeric literals with '_' arrived in 3.46: see the
-- test that both refuse 1_000 with SQLite's own message).
-- setup
CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, v REAL, grp TEXT);
INSERT INTO t VALUES (1, 'a', 1.5, 'x'), (2, 'b', 2.5, 'x'), (3, 'c', NULL, 'y'), (4, 'd', 4.0, 'y'), (5, 'e', 5.5, 'z');
CREATE TABLE u (k TEXT PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0, note TEXT UNIQUE);
INSERT INTO u VALUES ('p', 1, 'one'), ('q', 2, 'two');
CREATE TABLE j (id INTEGER PRIMARY KEY, doc TEXT);
INSERT INTO j VALUES (1, '{"a":1,"b":[1,2,3],"c":{"d":"x"}}'), (2, '{"a":2,"b":[],"c":null}');
-- case: update or ignore
UPDATE OR IGNORE u SET note = 'one' WHERE k = 'q'
-- check: SELECT * FROM u ORDER BY k
-- case: update or replace
UPDATE OR REPLACE u SET note = 'one' WHERE k = 'q'
-- check: SELECT * FROM u ORDER BY k
-- case: update or abort
UPDATE OR ABORT u SET n = n + 1
-- check: SELECT * FROM u ORDER BY k
-- case: update or fail
UPDATE OR FAIL u SET n = n * 10 WHERE k = 'p'
-- check: SELECT * FROM u ORDER BY k
-- case: update or rollback
UPDATE OR ROLLBACK u SET note = 'three' WHERE k = 'q'
-- check: SELECT * FROM u ORDER BY k
-- case: insert or ignore
INSERT OR IGNORE INTO u (k, n, note) VALUES ('p', 9, 'nine'), ('r', 3, 'three')
-- check: SELECT * FROM u ORDER BY k
-- case: insert or replace
INSERT OR REPLACE INTO u (k, n, note) VALUES ('p', 9, 'nine')
-- check: SELECT * FROM u ORDER BY k
-- case: insert or abort
INSERT OR ABORT INTO u (k, n) VALUES ('s', 4)
-- check: SELECT * FROM u ORDER BY k
-- case: insert or fail
INSERT OR FAIL INTO u (k, n) VALUES ('s', 4)
-- check: SELECT * FROM u ORDER BY k
-- case: insert or rollback
INSERT OR ROLLBACK INTO u (k, n) VALUES ('s', 4)
-- check: SELECT * FROM u ORDER BY k
-- case: replace into
REPLACE INTO u (k, n, note) VALUES ('q', 7, 'seven')
-- check: SELECT * FROM u ORDER BY k
-- case: replace into select
REPLACE INTO u SELECT name, id, grp || id FROM t WHERE id < 3
-- check: SELECT * FROM u ORDER BY k
-- case: column unique on conflict rollback
CREATE TABLE c1 (a UNIQUE ON CONFLICT ROLLBACK)
-- check: SELECT sql FROM sqlite_master WHERE name = 'c1'
-- case: column unique on conflict abort
CREATE TABLE c2 (a UNIQUE ON CONFLICT ABORT)
-- check: SELECT sql FROM sqlite_master WHERE name = 'c2'
-- case: column unique on conflict fail
CREATE TABLE c3 (a UNIQUE ON CONFLICT FAIL)
-- check: SELECT sql FROM sqlite_master WHERE name = 'c3'
-- case: column unique on conflict ignore
CREATE TABLE c4 (a UNIQUE ON CONFLICT IGNORE)
-- check: SELECT sql FROM sqlite_master WHERE name = 'c4'
-- case: column unique on conflict replace
CREATE TABLE c5 (a TEXT UNIQUE ON CONFLICT REPLACE)
-- check: SELECT sql FROM sqlite_master WHERE name = 'c5'
-- case: not null on conflict rollback
CREATE TABLE n1 (a NOT NULL ON CONFLICT ROLLBACK)
-- check: SELECT sql FROM sqlite_master WHERE name = 'n1'
-- case: not null on conflict abort
CREATE TABLE n2 (a INT NOT NULL ON CONFLICT ABORT)
-- check: SELECT sql FROM sqlite_master WHERE name = 'n2'
-- case: not null on conflict fail
CREATE TABLE n3 (a NOT NULL ON CONFLICT FAIL)
-- check: SELECT sql FROM sqlite_master WHERE name = 'n3'
-- case: not null on conflict ignore
CREATE TABLE n4 (a NOT NULL ON CONFLICT IGNORE)
-- check: SELECT sql FROM sqlite_master WHERE name = 'n4'
-- case: not null on conflict replace with default
CREATE TABLE n5 (a NOT NULL ON CONFLICT REPLACE DEFAULT 0)
-- check: SELECT sql FROM sqlite_master WHERE name = 'n5'
-- case: column primary key on conflict rollback
CREATE TABLE p1 (a INTEGER PRIMARY KEY ON CONFLICT ROLLBACK)
-- check: SELECT sql FROM sqlite_master WHERE name = 'p1'
-- case: column primary key on conflict abort
CREATE TABLE p2 (a PRIMARY KEY ON CONFLICT ABORT)
-- check: SELECT sql FROM sqlite_master WHERE name = 'p2'
-- case: column primary key desc on conflict fail
CREATE TABLE p3 (a TEXT PRIMARY KEY DESC ON CONFLICT FAIL)
-- check: SELECT sql FROM sqlite_master WHERE name = 'p3'
-- case: column primary key on conflict ignore
CREATE TABLE p4 (a INTEGER PRIMARY KEY ON CONFLICT IGNORE AUTOINCREMENT)
-- check: SELECT sql FROM sqlite_master WHERE name = 'p4'
-- case: column primary key on conflict replace
CREATE TABLE p5 (a PRIMARY KEY ON CONFLICT REPLACE, b)
-- check: SELECT sql FROM sqlite_master WHERE name = 'p5'
-- case: table primary key on conflict rollback
CREATE TABLE tp1 (a, b, PRIMARY KEY (a, b) ON CONFLICT ROLLBACK)
-- check: SELECT sql FROM sqlite_master WHERE name = 'tp1'
-- case: table primary key on conflict abort
CREATE TABLE tp2 (a, PRIMARY KEY (a) ON CONFLICT ABORT)
-- check: SELECT sql FROM sqlite_master WHERE name = 'tp2'
-- case: table primary key on conflict fail
CREATE TABLE tp3 (a, PRIMARY KEY (a DESC) ON CONFLICT FAIL)
-- check: SELECT sql FROM sqlite_master WHERE name = 'tp3'
-- case: table primary key on conflict ignore
CREATE TABLE tp4 (a, b, CONSTRAINT pk PRIMARY KEY (a) ON CONFLICT IGNORE)
-- check: SELECT sql FROM sqlite_master WHERE name = 'tp4'
-- case: table primary key on conflict replace
CREATE TABLE tp5 (a, PRIMARY KEY (a) ON CONFLICT REPLACE)
-- check: SELECT sql FROM sqlite_master WHERE name = 'tp5'
-- case: table unique on conflict rollback
CREATE TABLE tu1 (a, b, UNIQUE (a, b) ON CONFLICT ROLLBACK)
-- check: SELECT sql FROM sqlite_master WHERE name = 'tu1'
-- case: table unique on conflict abort
CREATE TABLE tu2 (a, UNIQUE (a) ON CONFLICT ABORT)
-- check: SELECT sql FROM sqlite_master WHERE name = 'tu2'
-- case: table unique on conflict fail
CREATE TABLE tu3 (a, UNIQUE (a COLLATE NOCASE) ON CONFLICT FAIL)
-- check: SELECT sql FROM sqlite_master WHERE name = 'tu3'
-- case: table unique on conflict ignore
CREATE TABLE tu4 (a, b, CONSTRAINT u1 UNIQUE (b) ON CONFLICT IGNORE)
-- check: SELECT sql FROM sqlite_master WHERE name = 'tu4'
-- case: table unique on conflict replace
CREATE TABLE tu5 (a, UNIQUE (a) ON CONFLICT REPLACE)
-- check: SELECT sql FROM sqlite_master WHERE name = 'tu5'
-- case: conflict clause then behaviour
CREATE TABLE cb (a UNIQUE ON CONFLICT REPLACE, b); INSERT INTO cb VALUES (1, 'x'); INSERT INTO cb VALUES (1, 'y')
-- check: SELECT * FROM cb
-- case: generated untyped stored
CREATE TABLE g1 (a, c GENERATED ALWAYS AS (a + 1) STORED)
-- check: SELECT sql FROM sqlite_master WHERE name = 'g1'
-- case: generated untyped virtual
CREATE TABLE g2 (a, c AS (a * 2))
-- check: SELECT sql FROM sqlite_master WHERE name = 'g2'
-- case: generated typed stored
CREATE TABLE g3 (a INT, c INT GENERATED ALWAYS AS (a + 1) STORED)
-- check: SELECT sql FROM sqlite_master WHERE name = 'g3'
-- case: generated typed virtual
CREATE TABLE g4 (a TEXT, c TEXT GENERATED ALWAYS AS (upper(a)) VIRTUAL)
-- check: SELECT sql FROM sqlite_master WHERE name = 'g4'
-- case: generated column values
CREATE TABLE g5 (a, b AS (a || '!'), c INT AS (length(a)) STORED); INSERT INTO g5 (a) VALUES ('hi'), ('there')
-- check: SELECT * FROM g5
-- case: generated with json
CREATE TABLE g6 (doc TEXT, kind TEXT AS (doc ->> '$.kind'))
-- check: SELECT sql FROM sqlite_master WHERE name = 'g6'
-- case: without rowid then strict
CREATE TABLE ws1 (k TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID, STRICT
-- check: SELECT sql FROM sqlite_master WHERE name = 'ws1'
-- case: strict then without rowid
CREATE TABLE ws2 (k INT PRIMARY KEY, v ANY) STRICT, WITHOUT ROWID
-- check: SELECT sql FROM sqlite_master WHERE name = 'ws2'
-- case: strict any
CREATE TABLE s1 (a ANY, b BLOB, c REAL, d TEXT, e INTEGER, f INT) STRICT
-- check: SELECT sql FROM sqlite_master WHERE name = 's1'
-- case: without rowid untyped
CREATE TABLE wr (k PRIMARY KEY, v) WITHOUT ROWID
-- check: SELECT sql FROM sqlite_master WHERE name = 'wr'
-- case: window rows exclude current row
SELECT id, sum(v) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE CURRENT ROW) AS s FROM t
-- case: window groups exclude group
SELECT id, count(*) OVER (ORDER BY grp GROUPS BETWEEN CURRENT ROW AND 1 FOLLOWING EXCLUDE GROUP) AS c FROM t ORDER BY id
-- case: window range exclude ties
SELECT id, sum(id) OVER (ORDER BY grp RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW EXCLUDE TIES) AS s FROM t ORDER BY id
-- case: window exclude no others
SELECT id, avg(v) OVER (ORDER BY id ROWS UNBOUNDED PRECEDING EXCLUDE NO OTHERS) AS a FROM t
-- case: window range numeric offset
SELECT id, count(*) OVER (ORDER BY v RANGE BETWEEN 1.0 PRECEDING AND 1.0 FOLLOWING) AS c FROM t ORDER BY id
-- case: aggregate filter in window
SELECT id, count(*) FILTER (WHERE v > 2) OVER (ORDER BY id) AS c FROM t
-- case: named window with frame
SELECT id, sum(id) OVER w AS s, first_value(name) OVER w AS f FROM t WINDOW w AS (PARTITION BY grp ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
-- case: window inheritance
SELECT id, nth_value(name, 2) OVER (w ROWS BETWEEN CURRENT ROW AND 2 FOLLOWING) AS n FROM t WINDOW w AS (ORDER BY id)
-- case: ntile percent_rank cume_dist
SELECT id, ntile(2) OVER (ORDER BY id) AS nt, percent_rank() OVER (ORDER BY v) AS pr, cume_dist() OVER (ORDER BY v) AS cd FROM t ORDER BY id
-- case: aggregate filter plain
SELECT grp, sum(v) FILTER (WHERE id % 2 = 1) AS odd, total(v) AS tot FROM t GROUP BY grp
-- case: returning on insert
INSERT INTO t (name, v, grp) VALUES ('f', 6.5, 'z') RETURNING id, name, v * 2 AS dbl
-- case: returning on update
UPDATE t SET v = v + 1 WHERE grp = 'x' RETURNING id, v
-- case: returning on delete
DELETE FROM t WHERE grp = 'y' RETURNING *
-- case: returning on upsert
INSERT INTO u (k, n) VALUES ('p', 5) ON CONFLICT (k) DO UPDATE SET n = u.n + excluded.n RETURNING k, n
-- case: returning on replace
REPLACE INTO u (k, n, note) VALUES ('z', 1, 'zz') RETURNING k, note
-- case: returning on insert select
INSERT INTO u (k, n) SELECT name, id FROM t WHERE id > 3 RETURNING k AS key, n
-- case: upsert do nothing
INSERT INTO u (k, n) VALUES ('p', 100) ON CONFLICT DO NOTHING
-- check: SELECT * FROM u ORDER BY k
-- case: upsert do update where
INSERT INTO u (k, n) VALUES ('p', 100), ('q', 0) ON CONFLICT (k) DO UPDATE SET n = excluded.n WHERE excluded.n > u.n
-- check: SELECT * FROM u ORDER BY k
-- case: upsert two conflict targets
INSERT INTO u (k, n, note) VALUES ('x', 1, 'one') ON CONFLICT (k) DO NOTHING ON CONFLICT (note) DO UPDATE SET n = n + 10
-- check: SELECT * FROM u ORDER BY k
-- case: upsert from select where true
INSERT INTO u (k, n) SELECT name, id FROM t WHERE true ON CONFLICT (k) DO UPDATE SET n = excluded.n
-- check: SELECT * FROM u ORDER BY k
-- case: insert default values
INSERT INTO t DEFAULT VALUES
-- check: SELECT * FROM t ORDER BY id
-- case: insert default values returning
INSERT INTO t DEFAULT VALUES RETURNING id, name
-- case: cte materialized
WITH m AS MATERIALIZED (SELECT grp, sum(v) AS s FROM t GROUP BY grp) SELECT * FROM m ORDER BY grp
-- case: cte not materialized
WITH m AS NOT MATERIALIZED (SELECT * FROM t WHERE v > 2) SELECT count(*) AS n FROM m
-- case: recursive cte with limit
WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r LIMIT 7) SELECT group_concat(i, '-') AS g FROM r
-- case: cte feeding an insert
WITH src AS (SELECT name || '!' AS k FROM t WHERE id < 3) INSERT INTO u (k) SELECT k FROM src
-- check: SELECT * FROM u ORDER BY k
-- case: cte feeding an update
WITH top AS (SELECT max(id) AS m FROM t) UPDATE t SET name = 'top' WHERE id = (SELECT m FROM top)
-- check: SELECT * FROM t ORDER BY id
-- case: cte feeding a delete
WITH gone AS (SELECT id FROM t WHERE v IS NULL) DELETE FROM t WHERE id IN gone
-- check: SELECT * FROM t ORDER BY id
-- case: json_each
SELECT j.id, e.key, e.value FROM j, json_each(j.doc, '$.b') AS e ORDER BY j.id, e.key
-- case: json_tree
SELECT fullkey, type, atom FROM json_tree((SELECT doc FROM j WHERE id = 1)) ORDER BY fullkey
-- case: json_each table-valued in join
SELECT t.name FROM t JOIN json_each('[1, 3, 5]') AS e ON t.id = e.value ORDER BY t.id
-- case: arrow operators
SELECT doc -> '$.c' AS c, doc ->> '$.a' AS a, doc -> 'b' AS b, doc ->> 'c' AS cc FROM j ORDER BY id
-- case: arrow chained
SELECT doc -> 'c' ->> 'd' AS d FROM j ORDER BY id
-- case: json functions
SELECT json_array_length(doc, '$.b') AS n, json_type(doc, '$.c') AS ty, json_patch(doc, '{"z":1}') AS p FROM j ORDER BY id
-- case: json_group_array object
SELECT json_group_array(name) AS names, json_group_object(name, id) AS ids FROM t
-- case: iif
SELECT id, iif(v > 2, 'big', iif(v IS NULL, 'none', 'small')) AS size FROM t
-- case: printf
SELECT printf('%5.2f|%-4s|%04d|%x|%q|%%', 3.14159, 'ab', 42, 255, 'it''s') AS p
-- case: format
SELECT format('%s has %d', name, id) AS f FROM t ORDER BY id
-- case: printf with star width
SELECT printf('%*d|%.*f', 6, 42, 2, 3.14159) AS p
-- case: unixepoch
SELECT unixepoch('2024-01-05 08:00:00') AS e, unixepoch('2024-01-05', '+1 day') AS d
-- case: unixepoch round trip
SELECT datetime(unixepoch('2024-02-29 12:34:56'), 'unixepoch') AS back
-- case: strftime and date modifiers
SELECT strftime('%Y-%m-%d %H:%M', '2024-03-31', 'start of month', '+1 month', '-1 second') AS s, date('2024-01-31', '+1 month') AS d
-- case: nulls first
SELECT id, v FROM t ORDER BY v NULLS FIRST, id
-- case: nulls last desc
SELECT id, v FROM t ORDER BY v DESC NULLS LAST
-- case: row values in subquery
SELECT id FROM t WHERE (grp, id) IN (SELECT grp, max(id) FROM t GROUP BY grp) ORDER BY id
-- case: row values comparison
SELECT id FROM t WHERE (grp, v) > ('x', 2.0) ORDER BY id
-- case: row values update
UPDATE t SET (name, v) = (upper(name), coalesce(v, 0)) WHERE id = 3
-- check: SELECT * FROM t ORDER BY id
-- case: row values in list
SELECT id FROM t WHERE (id, grp) IN (VALUES (1, 'x'), (3, 'y'), (5, 'q')) ORDER BY id
-- case: cast integer
SELECT CAST('42abc' AS INTEGER) AS i, CAST(3.9 AS INT) AS j, CAST('0x10' AS INTEGER) AS k
-- case: cast real
SELECT CAST('1e3' AS REAL) AS r, CAST(7 AS FLOAT) AS f, CAST('x' AS DOUBLE) AS d
-- case: cast text
SELECT CAST(12.5 AS TEXT) AS t, CAST(x'616263' AS TEXT) AS b, CAST(1 AS VARCHAR(10)) AS v
-- case: cast blob
SELECT hex(CAST('abc' AS BLOB)) AS h, typeof(CAST(1 AS BLOB)) AS ty
-- case: cast numeric
SELECT CAST('12.0' AS NUMERIC) AS n, typeof(CAST('12.0' AS NUMERIC)) AS ty, CAST('1e2' AS DECIMAL(5,2)) AS d
-- case: cast to unknown type is numeric
SELECT CAST('3.5' AS WHATEVER) AS w, typeof(CAST('3' AS WHATEVER)) AS ty
-- case: blob literals
SELECT x'00FF' AS b, hex(X'CAFE') AS h, length(x'') AS n
-- case: hex integers
SELECT 0x7FFFFFFFFFFFFFFF AS big, 0xff AS ff, -0X10 AS neg
-- case: hex in expressions
SELECT id FROM t WHERE id & 0x1 = 1 ORDER BY id
-- case: update from
UPDATE u SET n = t.id FROM t WHERE t.name = 'a' AND u.k = 'p'
-- check: SELECT * FROM u ORDER BY k
-- case: delete with order by limit
DELETE FROM t WHERE v IS NOT NULL ORDER BY v DESC LIMIT 2
-- check: SELECT * FROM t ORDER BY id
-- case: update with order by limit
UPDATE t SET name = 'cut' ORDER BY id LIMIT 2 OFFSET 1
-- check: SELECT * FROM t ORDER BY id
-- case: alter add untyped column
ALTER TABLE t ADD COLUMN extra
-- check: SELECT sql FROM sqlite_master WHERE name = 't'
-- case: alter add column with check
ALTER TABLE t ADD COLUMN score INT CHECK (score >= 0) DEFAULT 0
-- check: SELECT sql FROM sqlite_master WHERE name = 't'
-- case: alter rename column
ALTER TABLE t RENAME COLUMN grp TO grp_name
-- check: SELECT sql FROM sqlite_master WHERE name = 't'
-- case: alter drop column
ALTER TABLE t DROP COLUMN grp
-- check: SELECT sql FROM sqlite_master WHERE name = 't'
-- case: alter rename table
ALTER TABLE u RENAME TO u_renamed
-- check: SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\_codemode\_%' ESCAPE '\' ORDER BY name
-- case: indexed by
CREATE INDEX t_grp ON t (grp); SELECT id FROM t INDEXED BY t_grp WHERE grp = 'y' ORDER BY id
-- case: not indexed
SELECT name FROM t NOT INDEXED WHERE id = 2
-- case: expression and partial index
CREATE INDEX t_lower ON t (lower(name)) WHERE v IS NOT NULL
-- check: SELECT sql FROM sqlite_master WHERE name = 't_lower'
-- case: collate nocase
SELECT name FROM t WHERE name = 'A' COLLATE NOCASE
-- case: is distinct from
SELECT id FROM t WHERE v IS DISTINCT FROM 1.5 AND v IS NOT DISTINCT FROM v ORDER BY id
-- case: is not comparison with null
SELECT id, v IS NOT NULL AS has_v, v IS 2.5 AS is_25 FROM t
-- case: like escape and glob
SELECT 'a_b' LIKE 'a\_b' ESCAPE '\' AS l, 'abc' GLOB 'a?c' AS g, 'ABC' NOT LIKE 'a%' AS nl
-- case: between and in list
SELECT id FROM t WHERE id BETWEEN 2 AND 4 AND name NOT IN ('c') ORDER BY id
-- case: in table name
CREATE TABLE one (x); INSERT INTO one VALUES (1); SELECT 1 IN one AS present, 9 IN one AS absent, 1 IN (SELECT id FROM t) AS sub
-- case: empty in list
SELECT count(*) AS n, (SELECT count(*) FROM t WHERE id NOT IN ()) AS m FROM t WHERE id IN ()
-- case: exists and case without else
SELECT id, CASE grp WHEN 'x' THEN 'ex' WHEN 'y' THEN 'why' END AS c FROM t WHERE EXISTS (SELECT 1 FROM u)
-- case: values as a table
SELECT column1 AS a, column2 AS b FROM (VALUES (1, 'one'), (2, 'two')) ORDER BY 1
-- case: distinct aggregate
SELECT count(DISTINCT grp) AS g, group_concat(DISTINCT grp) AS gs FROM t
-- case: string functions
SELECT substring('hello', 2, 3) AS s, trim('xxhixx', 'x') AS tr, instr('banana', 'na') AS i, char(72, 105) AS c, unicode('A') AS u, replace('aaa', 'a', 'b') AS r
-- case: math-ish and likelihood
SELECT abs(-3) AS a, round(2.567, 2) AS r, likely(1) AS l, unlikely(0) AS u, nullif(1, 1) AS n, coalesce(NULL, NULL, 3) AS c, max(1, 5, 3) AS mx, min('b', 'a') AS mn
-- case: quoted identifiers of every kind
SELECT "id" AS "select", [name] AS [from], `v` AS `where`, id AS 'order' FROM t WHERE id = 1
-- case: keyword-spelled table and columns
CREATE TABLE "values" ("on" INTEGER, "group" TEXT); INSERT INTO "values" VALUES (1, 'g')
-- check: SELECT "on", "group" FROM "values"
-- case: natural join using
SELECT a.id FROM t AS a NATURAL JOIN t AS b ORDER BY a.id
-- case: cross join and left join using
SELECT count(*) AS n FROM t CROSS JOIN u LEFT JOIN t AS t2 USING (id)
-- case: compound select with order by limit
SELECT id FROM t WHERE id < 3 UNION SELECT n FROM u EXCEPT SELECT 2 ORDER BY 1 DESC LIMIT 5
-- case: intersect all kinds
SELECT grp FROM t INTERSECT SELECT 'x' UNION ALL SELECT 'q'
-- case: scalar subquery in select and order
SELECT name, (SELECT count(*) FROM u WHERE u.n <= t.id) AS c FROM t ORDER BY (SELECT 1), id
-- case: limit with comma offset
SELECT id FROM t ORDER BY id LIMIT 1, 2
-- case: typeof and zeroblob
SELECT typeof(1) AS a, typeof(1.0) AS b, typeof('x') AS c, typeof(x'00') AS d, typeof(NULL) AS e, length(zeroblob(10)) AS z
-- case: create table as select
CREATE TABLE summary AS SELECT grp, count(*) AS n FROM t GROUP BY grp
-- check: SELECT * FROM summary ORDER BY grp
-- case: create table if not exists with checks and fks
CREATE TABLE IF NOT EXISTS child (id INTEGER PRIMARY KEY, tid INTEGER REFERENCES t (id) ON DELETE CASCADE ON UPDATE SET NULL DEFERRABLE INITIALLY DEFERRED, CHECK (id > 0))
-- check: SELECT sql FROM sqlite_master WHERE name = 'child'
-- case: default expressions
CREATE TABLE d (a TEXT DEFAULT (datetime('2024-01-01')), b INT DEFAULT -1, c DEFAULT x'00', e DEFAULT 'it''s', f DEFAULT CURRENT_DATE)
-- check: SELECT sql FROM sqlite_master WHERE name = 'd'
-- case: collation in column and order
CREATE TABLE co (a TEXT COLLATE NOCASE); INSERT INTO co VALUES ('b'), ('A'), ('a')
-- check: SELECT a FROM co ORDER BY a, a COLLATE BINARY
-- case: drop table if exists
DROP TABLE IF EXISTS never_there
-- check: SELECT count(*) FROM sqlite_master WHERE name NOT LIKE '%\_codemode\_%' ESCAPE '\'
-- case: drop index if exists
DROP INDEX IF EXISTS never_there_either
-- check: SELECT count(*) FROM sqlite_master WHERE name NOT LIKE '%\_codemode\_%' ESCAPE '\'
-- case: numbered parameters are fine unbound in a literal
SELECT '?1 :values @on $x' AS literal
-- case: comment styles
SELECT /* block */ 1 AS a -- line
-- case: statement with trailing semicolon and comment
SELECT 2 AS b; -- done
-- case: unterminated block comment is whitespace
SELECT 3 AS c /* never closed
-- case: leading byte-order mark
﻿SELECT 4 AS d
-- case: utf8 identifiers and strings
CREATE TABLE "données" ("clé" TEXT, "値" INT); INSERT INTO "données" VALUES ('é', 1)
-- check: SELECT * FROM "données"
