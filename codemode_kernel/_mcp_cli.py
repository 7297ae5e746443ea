"""``python -m codemode_kernel mcp``: serve Code Mode over MCP (stdio or Streamable HTTP).

Exit status 2 for a usage error, such as a non-loopback ``--host`` without a
token. See docs/mcp.md.
"""

from __future__ import annotations

import argparse
import hmac
import ipaddress
import json
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

__all__ = ["config_snippet", "is_loopback", "main"]

DEFAULT_PORT = 8765
LOOPBACK_HOSTS = ["127.0.0.1:*", "localhost:*", "[::1]:*"]
LOOPBACK_ORIGINS = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]


def resolve(host: str) -> list[str]:
    """The addresses ``host`` (a name or an address) binds to; [] if it does not resolve."""
    try:
        infos = socket.getaddrinfo(host.strip("[]"), None)
    except (OSError, UnicodeError):
        return []
    return sorted({info[4][0].split("%", 1)[0] for info in infos})


def is_loopback(host: str) -> bool:
    """True for loopback addresses (127.0.0.0/8, ::1) and names that resolve only
    to such addresses (``localhost``, a Debian host name mapped to 127.0.1.1)."""
    name = host.strip("[]")
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        pass
    if name.lower().rstrip(".") == "localhost":
        return True
    addrs = resolve(name)
    return bool(addrs) and all(ipaddress.ip_address(a).is_loopback for a in addrs)


def _parser() -> argparse.ArgumentParser:
    from ._settings import resolve_settings

    default_timeout = resolve_settings()[0].cell_timeout or 300.0
    p = argparse.ArgumentParser(
        prog="python -m codemode_kernel mcp",
        description="Serve a Code Mode kernel (Python + a guarded SQLite session database)"
        " to MCP clients: one kernel per MCP connection. stdio by default.",
    )
    p.add_argument("--http", action="store_true", help="serve Streamable HTTP instead of stdio")
    p.add_argument("--host", default="127.0.0.1", help="HTTP bind address (default 127.0.0.1)")
    p.add_argument(
        "--port", metavar="PORT", type=int, default=DEFAULT_PORT, help=f"HTTP port ({DEFAULT_PORT})"
    )
    p.add_argument(
        "--session",
        metavar="NAME",
        help="pin one named session, kept at exit (policy keep); all connections to this"
        " server process share its kernel",
    )
    p.add_argument(
        "--cell-timeout",
        metavar="S",
        type=float,
        default=default_timeout,
        help=f"seconds a call runs when it asks for none (default {default_timeout:g},"
        " CODEMODE_CELL_TIMEOUT)",
    )
    p.add_argument(
        "--max-timeout",
        metavar="S",
        type=float,
        default=3600.0,
        help="ceiling of any call's timeout (3600)",
    )
    p.add_argument(
        "--max-output",
        metavar="N",
        type=int,
        default=50_000,
        help="characters of text in one tool result (50,000); more is cut with a marker",
    )
    p.add_argument(
        "--max-sessions", metavar="N", type=int, default=8, help="live kernels at most (8)"
    )
    p.add_argument(
        "--image-width",
        metavar="PX",
        type=int,
        default=800,
        help="images in results are at most this wide (800)",
    )
    p.add_argument(
        "--progress-interval",
        metavar="S",
        type=float,
        default=5.0,
        help="seconds between progress notifications of a running call (5)",
    )
    p.add_argument(
        "--idle-ttl",
        metavar="S",
        type=float,
        default=1800.0,
        help="HTTP: an MCP session (and its kernel) idle this long is closed (1800 s)",
    )
    p.add_argument(
        "--token",
        metavar="TOKEN",
        default=None,
        help="HTTP: require 'Authorization: Bearer TOKEN' (or set CODEMODE_MCP_TOKEN);"
        " required when --host is not loopback",
    )
    p.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="HOST[:PORT]",
        help="HTTP: another Host header to accept (DNS-rebinding check); repeatable",
    )
    p.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="HTTP: another Origin to accept, e.g. https://app.example; repeatable",
    )
    p.add_argument(
        "--max-queued",
        metavar="N",
        type=int,
        default=16,
        help="calls of one session that may wait while its kernel is busy (16);"
        " more are refused with SessionBusyError",
    )
    p.add_argument(
        "--print-config",
        action="store_true",
        help="print the mcpServers JSON for Claude Desktop / Claude Code / Cursor and exit",
    )
    return p


def _validate(p: argparse.ArgumentParser, a: argparse.Namespace) -> None:
    for name in ("cell_timeout", "max_timeout", "progress_interval", "idle_ttl"):
        if getattr(a, name) < 0 or (name != "cell_timeout" and getattr(a, name) == 0):
            p.error(f"--{name.replace('_', '-')} must be a positive number of seconds")
    if a.token is None:
        a.token = os.environ.get("CODEMODE_MCP_TOKEN")
        if a.token is not None and not a.token.strip():
            p.error(
                "CODEMODE_MCP_TOKEN is set but empty: set it to a secret (or unset it and"
                " bind 127.0.0.1 without a token)"
            )
    elif not a.token.strip():
        p.error(
            "--token is empty, which would let anyone in: give a secret, e.g."
            " --token \"$(python -c 'import secrets; print(secrets.token_urlsafe())')\""
        )
    for name in ("max_output", "max_sessions", "image_width", "max_queued"):
        if getattr(a, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if not 0 < a.port < 65536:
        p.error(f"--port must be between 1 and 65535, got {a.port}")
    if a.session is not None and not a.session.strip():
        p.error("--session needs a non-empty name")
    if a.http and not is_loopback(a.host) and not a.token:
        addrs = resolve(a.host)
        where = (
            f" (it resolves to {', '.join(addrs)})"
            if addrs and addrs != [a.host.strip("[]")]
            else ""
        )
        p.error(
            f"--host {a.host} is not a loopback address{where}, so the server would be"
            " reachable from other machines: give --token (or CODEMODE_MCP_TOKEN) so that"
            " clients must authenticate, or bind 127.0.0.1"
        )


def _forwarded(argv: list[str]) -> list[str]:
    return [x for x in argv if x != "--print-config"]


def config_snippet(a: argparse.Namespace, argv: list[str]) -> dict[str, Any]:
    """The ``mcpServers`` entry that starts (stdio) or reaches (HTTP) this server."""
    if a.http:
        host = "127.0.0.1" if a.host in ("0.0.0.0", "::") else a.host
        entry: dict[str, Any] = {
            "type": "http",
            "url": f"http://{host if ':' not in host else f'[{host}]'}:{a.port}/mcp",
        }
        if a.token:
            entry["headers"] = {"Authorization": f"Bearer {a.token}"}
        return {"mcpServers": {"codemode": entry}}
    entry = {
        "command": sys.executable,
        "args": ["-m", "codemode_kernel", "mcp", *_forwarded(argv)],
    }
    pkg_root = str(Path(__file__).resolve().parents[1])
    if not pkg_root.startswith(sys.prefix):  # a source checkout, not installed
        entry["env"] = {"PYTHONPATH": pkg_root}
    return {"mcpServers": {"codemode": entry}}


class _StaticToken:
    """The SDK's ``TokenVerifier`` for one shared bearer token (constant-time compare)."""

    def __init__(self, token: str) -> None:
        self._token = token.encode()

    async def verify_token(self, token: str) -> Any:
        from mcp.server.auth.provider import AccessToken

        if hmac.compare_digest(token.encode(), self._token):
            return AccessToken(token=token, client_id="codemode-mcp", scopes=[])
        return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    p = _parser()
    a = p.parse_args(argv)
    _validate(p, a)
    if a.print_config:
        print(json.dumps(config_snippet(a, argv), indent=2))
        return 0

    from ._mcp_server import ServerConfig, build_server

    cfg = ServerConfig(
        transport="http" if a.http else "stdio",
        session=a.session,
        cell_timeout=a.cell_timeout,
        max_timeout=a.max_timeout,
        max_output=a.max_output,
        max_sessions=a.max_sessions,
        image_width=a.image_width,
        progress_interval=a.progress_interval,
        idle_ttl=a.idle_ttl,
        max_queued=a.max_queued,
    )
    verifier = auth = None
    if a.http and a.token:
        from mcp.server.auth.settings import AuthSettings

        verifier = _StaticToken(a.token)
        # No OAuth server exists: the issuer is never advertised (no resource URL).
        auth = AuthSettings(issuer_url=f"http://127.0.0.1:{a.port}", resource_server_url=None)
    server, pool = build_server(cfg, token_verifier=verifier, auth=auth)

    def on_term(_sig: int, _frame: Any) -> None:
        # A stdio client closes stdin, waits, then SIGTERMs: shut the kernels
        # down (deleting their sessions) instead of leaving them orphaned.
        pool.close_all()
        os._exit(0)

    signal.signal(signal.SIGTERM, on_term)
    if not a.http:
        server.run("stdio")
        return 0
    import uvicorn
    from mcp.server.transport_security import TransportSecuritySettings

    hosts = [*LOOPBACK_HOSTS, *(h if ":" in h else f"{h}:*" for h in a.allow_host)]
    if a.host not in ("0.0.0.0", "::") and f"{a.host}:*" not in hosts:
        # Also a loopback name such as the machine's own (127.0.1.1 on Debian).
        hosts.append(f"{a.host}:*")
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=hosts,
        allowed_origins=[*LOOPBACK_ORIGINS, *a.allow_origin],
    )
    app = server.streamable_http_app(
        host=a.host, transport_security=security, session_idle_timeout=a.idle_ttl
    )
    print(f"Code Mode MCP server: http://{a.host}:{a.port}/mcp", file=sys.stderr, flush=True)
    uvicorn.run(app, host=a.host, port=a.port, log_level="warning")
    return 0
