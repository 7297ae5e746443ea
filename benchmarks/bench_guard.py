"""What the guard's compile step (issue 16) costs: SQLite compiles every
statement (``EXPLAIN <stmt>`` under the recording authorizer) before it runs.

Measured in one run against the same query with the compile step switched
off (``db.judge.enabled = False``, parser and run-time authorizer
still on) and against raw sqlite3 + ``DataFrame.from_records``:

* a point query repeated (the compile result is cached by SQL text);
* 1,000 never-seen SQL texts (every classification and compile is cold);
* the compile step alone per statement, next to sqlglot's parse alone.
"""

from __future__ import annotations

import itertools
import time

from codemode_kernel import _compile
from codemode_kernel import _guard as guard

from .bench_query import POINT_SQL, _raw_df
from .data import fresh_db, raw_connect, records
from .harness import Config, Row, compare, fmt_time, ratio

__all__ = ["run"]


def _per_query(fn, texts: list[str]) -> float:
    start = time.perf_counter()
    for sql in texts:
        fn(sql)
    return (time.perf_counter() - start) / len(texts)


def run(cfg: Config) -> list[Row]:
    rows: list[Row] = []
    with fresh_db() as db:
        db.batch_insert("points", records(cfg.point_table_rows), progress=False)
        db.exec("CREATE UNIQUE INDEX points_id ON points (id)")
        raw = raw_connect(db.path)

        def without_compile(sql: str):
            db.judge.enabled = False
            try:
                return db.query(sql)
            finally:
                db.judge.enabled = True

        point = compare(
            {
                "ours": lambda: db.query(POINT_SQL),
                "no_compile": lambda: without_compile(POINT_SQL),
                "raw": lambda: _raw_df(raw, POINT_SQL),
            },
            rounds=cfg.rounds,
            round_seconds=cfg.round_seconds,
        )
        r_raw = ratio(point["ours"], point["raw"])
        rows.append(
            Row(
                "point query, compile step on (cached by SQL text)",
                fmt_time(point["ours"]),
                f"compile off {fmt_time(point['no_compile'])}; raw {fmt_time(point['raw'])}",
                f"{r_raw:.2f}× raw; compile step +{fmt_time(point['ours'] - point['no_compile'])}",
                "≤ 1.3× raw",
                r_raw <= 1.3,
            )
        )

        counter = itertools.count()
        n_rows = cfg.point_table_rows

        def texts() -> list[str]:
            # Distinct texts, never seen by either cache.
            return [
                f"SELECT * FROM points WHERE id = {next(counter) * 7919 % n_rows}"
                f" AND {next(counter)} > 0"
                for _ in range(cfg.distinct_queries)
            ]

        on, off, base = [], [], []
        for _ in range(cfg.distinct_rounds):
            on.append(_per_query(db.query, texts()))
            off.append(_per_query(without_compile, texts()))
            base.append(_per_query(lambda s: _raw_df(raw, s), texts()))
        med = [sorted(x)[len(x) // 2] for x in (on, off, base)]
        rows.append(
            Row(
                f"{cfg.distinct_queries:,} distinct SQL texts (cold parse and compile)",
                f"{fmt_time(med[0])} per query",
                f"compile off {fmt_time(med[1])}; raw {fmt_time(med[2])}",
                f"{ratio(med[0], med[2]):.2f}× raw; compile step +{fmt_time(med[0] - med[1])}",
                "report",
                None,
            )
        )

        # The two judges alone, per statement, on cold texts.
        batch = texts()
        stmts = [guard.classify(s)[0] for s in batch]  # not timed: sqlglot below
        start = time.perf_counter()
        for stmt in stmts:
            _compile.compile_statement(db.conn, db.connection.authorizer, stmt, stmt.text, 1)
        compile_each = (time.perf_counter() - start) / len(stmts)
        guard.classify.cache_clear()
        start = time.perf_counter()
        for sql in batch:
            guard.classify(sql)
        parse_each = (time.perf_counter() - start) / len(batch)
        rows.append(
            Row(
                "one cold statement: SQLite compile vs sqlglot classification",
                f"compile {fmt_time(compile_each)}",
                f"sqlglot classify {fmt_time(parse_each)}",
                f"compile = {ratio(compile_each, parse_each):.2f}× the sqlglot parse",
                "report",
                None,
            )
        )
        raw.close()
    return rows
