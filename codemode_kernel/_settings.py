"""Every limit and knob in one place (the Datasette rule).

Each setting is a traitlet on ``CodeModeKernel`` *and* an environment
variable; the variable wins. A bad value never crashes the kernel: it is
reported (kernel log + a warning shown in the first cell) and the default is
kept.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULTS",
    "SETTINGS",
    "Setting",
    "Settings",
    "default_data_dir",
    "markdown_table",
    "parse_overrides",
    "resolve_settings",
]


def default_data_dir() -> Path:
    """``<jupyter data dir>/codemode/sessions``."""
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "codemode" / "sessions"


def _number(kind: type, minimum: float, allow_zero: bool = True) -> Callable[[Any], Any]:
    def parse(raw: Any) -> Any:
        value = (
            kind(float(raw)) if kind is int and isinstance(raw, str) and "." in raw else kind(raw)
        )
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("must be a finite number")
        if value < minimum or (value == 0 and not allow_zero):
            bound = f">= {minimum}" if allow_zero else f"> {minimum}"
            raise ValueError(f"must be {bound}")
        return value

    return parse


def _choice(*choices: str) -> Callable[[Any], str]:
    def parse(raw: Any) -> str:
        value = str(raw).strip().lower()
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return value

    return parse


def _path(raw: Any) -> Path | None:
    text = str(raw)
    if "\x00" in text:
        raise ValueError("contains a NUL byte")
    return Path(text).expanduser() if text else None


def _text(raw: Any) -> str | None:
    return str(raw) or None


@dataclasses.dataclass(frozen=True)
class Setting:
    """One row of the configuration table."""

    name: str  #: the ``Settings`` field and the ``CodeModeKernel`` traitlet
    env: str  #: the environment variable, which wins over the traitlet
    default: Any
    parse: Callable[[Any], Any]  #: raw value -> value; ValueError/TypeError if bad
    help: str  #: one sentence: the meaning, with the unit
    choices: tuple[str, ...] = ()  #: the allowed values, for a choice


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "session_id",
        "CODEMODE_SESSION_ID",
        None,
        _text,
        "Session id; default JPY_SESSION_NAME (the notebook path), else the kernel id.",
    ),
    Setting(
        "data_dir",
        "CODEMODE_DATA_DIR",
        None,
        _path,
        "Where session databases live; default `<jupyter data dir>/codemode/sessions`.",
    ),
    Setting(
        "cell_timeout",
        "CODEMODE_CELL_TIMEOUT",
        300.0,
        _number(float, 0),
        "Seconds a cell may run before it is interrupted (0 = off).",
    ),
    Setting(
        "query_timeout",
        "CODEMODE_QUERY_TIMEOUT",
        30.0,
        _number(float, 0, allow_zero=False),
        "Seconds one SQL call may run.",
    ),
    Setting(
        "max_rows",
        "CODEMODE_MAX_ROWS",
        10_000,
        _number(int, 1),
        "Most rows one query returns (truncation is flagged).",
    ),
    Setting(
        "session_ttl",
        "CODEMODE_SESSION_TTL",
        86_400.0,
        _number(float, 0, allow_zero=False),
        "Seconds a session may be idle before it expires.",
    ),
    Setting(
        "on_shutdown",
        "CODEMODE_ON_SHUTDOWN",
        "delete",
        _choice("delete", "keep"),
        "What a real shutdown does with the session database: delete or keep (for the TTL).",
        ("delete", "keep"),
    ),
    Setting(
        "max_db_mb",
        "CODEMODE_MAX_DB_MB",
        1024.0,
        _number(float, 0, allow_zero=False),
        "Size quota of the session database, in MB.",
    ),
    Setting(
        "mcp_config",
        "CODEMODE_MCP_CONFIG",
        None,
        _path,
        "The MCP servers of `helpers.mcp` (a JSON file with `mcpServers`, see"
        " docs/mcp-client.md); default `<jupyter config dir>/codemode/mcp.json` when it exists.",
    ),
)


#: Each setting's default, by name.
DEFAULTS: dict[str, Any] = {s.name: s.default for s in SETTINGS}


@dataclasses.dataclass(frozen=True)
class Settings:
    """The resolved settings of one kernel: one field per row of ``SETTINGS``
    (meaning, unit and default are there)."""

    session_id: str | None = DEFAULTS["session_id"]
    data_dir: Path | None = DEFAULTS["data_dir"]
    cell_timeout: float = DEFAULTS["cell_timeout"]
    query_timeout: float = DEFAULTS["query_timeout"]
    max_rows: int = DEFAULTS["max_rows"]
    session_ttl: float = DEFAULTS["session_ttl"]
    on_shutdown: str = DEFAULTS["on_shutdown"]
    max_db_mb: float = DEFAULTS["max_db_mb"]
    mcp_config: Path | None = DEFAULTS["mcp_config"]

    @property
    def sessions_dir(self) -> Path:
        """The data dir, with its default filled in."""
        return self.data_dir or default_data_dir()


def parse_overrides(**values: Any) -> dict[str, Any]:
    """Parse run-time changes of settings (``None``: unchanged), e.g. for
    ``helpers.db.set_limits``; ValueError naming the bad one."""
    parse = {s.name: s.parse for s in SETTINGS}
    changes = {}
    for name, value in values.items():
        if value is not None:
            try:
                changes[name] = parse[name](value)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{name}={value!r} is invalid: {exc}") from None
    return changes


def resolve_settings(
    configured: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None
) -> tuple[Settings, list[str]]:
    """Merge configured values (traitlets) with the environment, which wins.

    Returns the settings and a list of human-readable warnings, one per bad
    value; a bad value falls back to the configured value, else the default.
    """
    configured = configured or {}
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    warnings: list[str] = []
    for s in SETTINGS:
        value = s.default
        raw = configured.get(s.name)
        if raw is not None and raw != "":
            try:
                value = s.parse(raw)
            except (TypeError, ValueError) as exc:
                warnings.append(
                    f"CodeModeKernel.{s.name}={raw!r} is invalid ({exc}); using {s.default!r}."
                )
        if s.env in env:
            raw = env[s.env]
            try:
                value = s.parse(raw)
            except (TypeError, ValueError) as exc:
                warnings.append(f"{s.env}={raw!r} is invalid ({exc}); using {value!r}.")
        values[s.name] = value
    return Settings(**values), warnings


def markdown_table() -> str:
    """The configuration table of docs/configuration.md, made from ``SETTINGS``
    (tests/unit/test_settings_and_store.py checks that the docs hold it)."""
    rows = [
        "| setting (traitlet) | environment variable | default | meaning |",
        "|---|---|---|---|",
    ]
    for s in SETTINGS:
        default = (
            "unset"
            if s.default is None
            else f"`{s.default:g}`"
            if isinstance(s.default, float)
            else f"`{s.default}`"
        )
        meaning = s.help + (f" One of: {', '.join(s.choices)}." if s.choices else "")
        rows.append(f"| `{s.name}` | `{s.env}` | {default} | {meaning} |")
    return "\n".join(rows)
