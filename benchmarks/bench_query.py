"""helpers.db.query against raw sqlite3, pandas.read_sql_query and JupySQL."""

from __future__ import annotations

import contextlib
import itertools
import time

import pandas as pd

from .data import fresh_db, jupysql_shell, raw_connect, records
from .harness import Config, Row, compare, fmt_time, ratio

__all__ = ["run"]

POINT_SQL = "SELECT * FROM points WHERE id = 4242"


def _raw_df(conn, sql: str) -> pd.DataFrame:
    """The hand-written raw path: execute, fetch, one DataFrame.from_records."""
    cur = conn.execute(sql)
    rows = cur.fetchall()
    return pd.DataFrame.from_records(rows, columns=[d[0] for d in cur.description])


def _close_jupysql() -> None:
    from sql.connection import ConnectionManager

    with contextlib.redirect_stdout(None):
        ConnectionManager.close_all()


def _distinct(cfg: Config, db, raw) -> tuple[float, float]:
    """Per-query medians over rounds of never-seen SQL texts (cold classification)."""
    counter = itertools.count()
    n_rows = cfg.point_table_rows
    ours, base = [], []

    def texts() -> list[str]:
        return [
            f"SELECT * FROM points WHERE id = {next(counter) * 7919 % n_rows}"
            for _ in range(cfg.distinct_queries)
        ]

    for _ in range(cfg.distinct_rounds):
        for fn, out in ((lambda s: db.query(s), ours), (lambda s: _raw_df(raw, s), base)):
            batch = texts()
            start = time.perf_counter()
            for sql in batch:
                fn(sql)
            out.append((time.perf_counter() - start) / len(batch))
    return sorted(ours)[len(ours) // 2], sorted(base)[len(base) // 2]


def run(cfg: Config) -> list[Row]:
    with fresh_db() as db:
        db.batch_insert("points", records(cfg.point_table_rows), progress=False)
        db.exec("CREATE UNIQUE INDEX points_id ON points (id)")
        raw = raw_connect(db.path)
        shell = jupysql_shell(db.path)
        big_sql = f"SELECT * FROM points LIMIT {cfg.big_query_rows}"
        timing = {"rounds": cfg.rounds, "round_seconds": cfg.round_seconds}

        point = compare(
            {
                "ours": lambda: db.query(POINT_SQL),
                "raw": lambda: _raw_df(raw, POINT_SQL),
                "read_sql_query": lambda: pd.read_sql_query(POINT_SQL, raw),
                "jupysql": lambda: shell.run_line_magic("sql", POINT_SQL),
            },
            **timing,
        )
        ours_d, raw_d = _distinct(cfg, db, raw)
        big = compare(
            {
                "ours": lambda: db.query(big_sql),
                "raw": lambda: _raw_df(raw, big_sql),
                "read_sql_query": lambda: pd.read_sql_query(big_sql, raw),
                "jupysql": lambda: shell.run_line_magic("sql", big_sql),
            },
            **timing,
        )
        raw.close()
        _close_jupysql()

    rows = []
    for label, m, limit in (
        ("point query → DataFrame (same SQL repeated)", point, 1.3),
        (f"{cfg.big_query_rows:,}-row query → DataFrame", big, 1.15),
    ):
        r_raw = ratio(m["ours"], m["raw"])
        r_pd = ratio(m["ours"], m["read_sql_query"])
        speedup = ratio(m["jupysql"], m["ours"])
        if limit == 1.3:
            target, met = "≤ 1.3× raw; ≥ 10× faster than JupySQL", r_raw <= 1.3 and speedup >= 10
        else:
            target, met = "≤ 1.15× raw; faster than read_sql_query", r_raw <= 1.15 and r_pd < 1
        rows.append(
            Row(
                label,
                fmt_time(m["ours"]),
                f"raw {fmt_time(m['raw'])}; read_sql_query {fmt_time(m['read_sql_query'])};"
                f" JupySQL %sql {fmt_time(m['jupysql'])}",
                f"{r_raw:.2f}× raw; {r_pd:.2f}× read_sql_query; {speedup:.1f}× faster than JupySQL",
                target,
                met,
            )
        )
    rows.insert(
        1,
        Row(
            f"point query, {cfg.distinct_queries:,} distinct SQL texts (cold classification)",
            f"{fmt_time(ours_d)} per query",
            f"raw {fmt_time(raw_d)} per query",
            f"{ratio(ours_d, raw_d):.2f}× raw (guard parse: +{fmt_time(ours_d - raw_d)})",
            "report",
            None,
        ),
    )
    return rows
