"""helpers.db through a real kernel: the API and its errors as a client sees them."""

from __future__ import annotations


def test_errors_reach_clients_with_design_names(kernel):
    cases = {
        "helpers.db.exec('ATTACH 1 AS x')": "SQLBlockedError",
        "helpers.db.query('SELEC 1')": "SQLSyntaxError",
        "helpers.db.save_state('k', object())": "StateError",
        "helpers.db.query('SELECT * FROM missing')": "OperationalError",
    }
    for code, ename in cases.items():
        cell = kernel.run(code)
        assert cell.status == "error" and cell.ename == ename, (code, cell.ename)
    assert kernel.value("helpers.db.tables()") == []


def test_api_through_kernel(start_kernel):
    k = start_kernel(env={"CODEMODE_QUERY_TIMEOUT": "1", "CODEMODE_MAX_ROWS": "50"})
    k.ok("helpers.db.createTable('trials', {'id': 'INTEGER PRIMARY KEY', 'phase': 'TEXT'})")
    k.ok("n = helpers.db.batchInsert('trials', ({'phase': p} for p in ['I', 'II', 'III'] * 40))")
    assert k.value("n") == 120
    assert k.value("helpers.db.query('SELECT count(*) AS c FROM trials')['c'][0].item()") == 120
    assert k.value("helpers.db.query('SELECT * FROM trials').attrs['codemode']['truncated']")
    cell = k.run(
        "helpers.db.query('WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM r)"
        " SELECT max(n) FROM r')"
    )
    assert cell.ename == "QueryTimeoutError" and "query_timeout=1 s" in cell.evalue
    k.ok("helpers.db.save_state('summary', {'phases': 3})")
    assert k.value("helpers.db.get_state('summary')") == {"phases": 3}
    assert k.value("helpers.db.get_metrics()['tables']") == {"trials": 120}
    assert k.value("helpers.db.logs(3)['kind'].tolist()") == ["save_state", "query", "query"]
    assert k.value("helpers.db.explain('SELECT * FROM trials WHERE phase = 1')['note'][0] != ''")
