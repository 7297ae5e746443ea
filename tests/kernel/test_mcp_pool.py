"""The kernel pool in-process, with real kernels: expiry, reset, the cap."""

from __future__ import annotations

import pytest

from codemode_kernel._mcp_kernels import KernelPool, SessionExpiredError, SessionLimitError


@pytest.mark.slow
def test_an_expired_kernel_is_reported_once_then_replaced(tmp_path):
    pool = KernelPool(max_sessions=1, data_dir=tmp_path / "sessions")
    try:
        first = pool.session_id("conn-a")
        pool.session("conn-a").run("x = 1")
        pool.expire("conn-a", 2)
        assert pool.live == 0
        assert not (tmp_path / "sessions").exists() or not any((tmp_path / "sessions").iterdir())
        with pytest.raises(SessionExpiredError) as err:
            pool.session("conn-a")
        assert str(err.value) == (
            f"session {first} was idle for more than 2 s (--idle-ttl): its kernel was shut"
            " down and its data was deleted. The next call starts a new session"
        )
        ex = pool.session("conn-a").run("x")
        assert ex.error.ename == "NameError"
        assert pool.session_id("conn-a") != first
        with pytest.raises(SessionLimitError, match=r"--max-sessions 1"):
            pool.session("conn-b")
    finally:
        pool.close_all()
    assert pool.live == 0
