"""The kernel pool in-process, with real kernels: expiry, reset, the cap."""

from __future__ import annotations

import time

import pytest

from codemode_kernel._mcp_kernels import KernelPool, SessionExpiredError, SessionLimitError


@pytest.mark.slow
def test_an_expired_kernel_is_reported_once_then_replaced(tmp_path):
    pool = KernelPool(max_sessions=1, data_dir=tmp_path / "sessions")
    try:
        first = pool.session_id("conn-a")
        pool.session("conn-a").run("x = 1")
        assert pool.expire("conn-a", 600) is False  # not idle that long: kept
        time.sleep(0.6)
        assert pool.expire("conn-a", 0.5) is True
        assert pool.live == 0
        assert not (tmp_path / "sessions").exists() or not any((tmp_path / "sessions").iterdir())
        with pytest.raises(SessionExpiredError) as err:
            pool.session("conn-a")
        assert str(err.value) == (
            f"session {first} was idle for more than 0.5 s (--idle-ttl): its kernel was shut"
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


@pytest.mark.slow
def test_the_reaper_cannot_take_a_kernel_a_call_has_just_picked_up(tmp_path):
    """idle() then acquire() then expire(): the acquire wins (it marked the call busy
    in the same step that found the kernel), and the kernel keeps running."""
    pool = KernelPool(max_sessions=1, data_dir=tmp_path / "sessions")
    try:
        pool.session("conn-a").run("x = 41")
        assert pool.idle(0) == ["conn-a"]  # the reaper's view: idle
        lease = pool.acquire("conn-a")  # a call takes the kernel meanwhile
        assert pool.idle(0) == []
        assert pool.expire("conn-a", 0) is False
        assert pool.live == 1 and lease.session.km.is_alive()
        ex = lease.session.run("x + 1")
        assert ex.ok and ex.results[0]["text/plain"] == "42"
        lease.done()
        lease.done()  # idempotent: the count stays right
        assert pool.expire("conn-a", 0) is True
        assert pool.live == 0
    finally:
        pool.close_all()


def test_an_output_of_a_released_session_is_not_kept(tmp_path):
    pool = KernelPool(max_sessions=1, data_dir=tmp_path / "sessions")
    pool.session_id("conn-a")  # a slot, without a kernel
    pool.release("conn-a")
    assert pool.put_output("conn-a", "image/png", b"png") is None
    # No slot came back to life for it: there is nothing to find.
    assert pool.get_output("conn-a", "anything") is None
    assert pool.idle(0) == [] and pool.live == 0
