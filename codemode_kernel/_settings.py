"""Every limit and knob in one place (the Datasette rule).

Each setting is a traitlet on ``CodeModeKernel`` *and* an environment
variable; the variable wins. A bad value never crashes the kernel: it is
reported (kernel log + a warning shown in the first cell) and the default is
kept.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .errors import CeilingError

__all__ = [
    "CEILING_OF",
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
        if isinstance(raw, bool):  # True is 1 to Python, never a limit
            raise ValueError("must be a number, not a bool")
        value = (
            kind(float(raw)) if kind is int and isinstance(raw, str) and "." in raw else kind(raw)
        )
        if kind is int and isinstance(raw, float) and math.isfinite(raw) and not raw.is_integer():
            raise ValueError("must be a whole number")
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


def _optional(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def parse_or_none(raw: Any) -> Any:
        if raw is None or str(raw).strip().lower() in ("", "none"):
            return None
        return parse(raw)

    return parse_or_none


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
        "Session id; default the kernel id (JPY_SESSION_NAME, the notebook path, is a label).",
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
        "cell_timeout_grace",
        "CODEMODE_CELL_TIMEOUT_GRACE",
        2.0,
        _number(float, 0, allow_zero=False),
        "Seconds past the cell timeout before the cell is stopped without its consent;"
        " one more grace period later the kernel process exits (docs/timeouts.md).",
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
    *(
        Setting(
            f"{limit}_max",
            f"{env}_MAX",
            None,
            _optional(parse),
            f"Ceiling of {limit}: `set_limits()`/`%timeout` may raise it this far and no"
            f" further. Default: `{env}` itself when the operator sets it, else none.",
        )
        for limit, env, parse in (
            ("cell_timeout", "CODEMODE_CELL_TIMEOUT", _number(float, 0, allow_zero=False)),
            ("query_timeout", "CODEMODE_QUERY_TIMEOUT", _number(float, 0, allow_zero=False)),
            ("max_rows", "CODEMODE_MAX_ROWS", _number(int, 1)),
            ("max_db_mb", "CODEMODE_MAX_DB_MB", _number(float, 0, allow_zero=False)),
        )
    ),
    Setting(
        "max_result_mb",
        "CODEMODE_MAX_RESULT_MB",
        256.0,
        _number(float, 0, allow_zero=False),
        "Memory one query result may take while it is fetched, in MB (more is cut, flagged).",
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


def _plain(value: float) -> str:
    """A number as a person writes it: 1000000, 5, 2.5 (not 1e+06, 5.0)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


#: The limits a session may change at run time, each capped by its ``<name>_max``.
CEILING_OF = ("cell_timeout", "query_timeout", "max_rows", "max_db_mb")

#: Each setting's default, by name.
DEFAULTS: dict[str, Any] = {s.name: s.default for s in SETTINGS}


@dataclasses.dataclass(frozen=True)
class Settings:
    """The resolved settings of one kernel: one field per row of ``SETTINGS``
    (meaning, unit and default are there)."""

    session_id: str | None = DEFAULTS["session_id"]
    data_dir: Path | None = DEFAULTS["data_dir"]
    cell_timeout: float = DEFAULTS["cell_timeout"]
    cell_timeout_grace: float = DEFAULTS["cell_timeout_grace"]
    query_timeout: float = DEFAULTS["query_timeout"]
    max_rows: int = DEFAULTS["max_rows"]
    session_ttl: float = DEFAULTS["session_ttl"]
    on_shutdown: str = DEFAULTS["on_shutdown"]
    max_db_mb: float = DEFAULTS["max_db_mb"]
    cell_timeout_max: float | None = DEFAULTS["cell_timeout_max"]
    query_timeout_max: float | None = DEFAULTS["query_timeout_max"]
    max_rows_max: int | None = DEFAULTS["max_rows_max"]
    max_db_mb_max: float | None = DEFAULTS["max_db_mb_max"]
    max_result_mb: float = DEFAULTS["max_result_mb"]

    def ceiling(self, name: str) -> float | None:
        """The ceiling of the limit ``name`` (``None``: none)."""
        return getattr(self, f"{name}_max")

    def check_ceiling(self, name: str, value: float) -> float:
        """``value`` if a session may set limit ``name`` to it; CeilingError otherwise.

        For ``cell_timeout``, 0 means no limit, which is above every ceiling.
        """
        top = self.ceiling(name)
        if top is not None and (value > top or (name == "cell_timeout" and value == 0)):
            env = next(s.env for s in SETTINGS if s.name == f"{name}_max")
            shown = "0 (no limit)" if value == 0 else _plain(value)
            raise CeilingError(
                f"{name}={shown} is above its ceiling of {_plain(top)}, which the operator set"
                f" ({env}, or the {env[: -len('_MAX')]} it defaults to); use a value up to"
                f" {_plain(top)}"
            )
        return value

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
    ``configured`` holds only what was configured: a limit the operator set
    is also its ceiling (see ``CEILING_OF``).
    """
    configured = configured or {}
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    warnings: list[str] = []
    explicit: set[str] = set()
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
        if s.env in env or configured.get(s.name) not in (None, ""):
            explicit.add(s.name)
    _apply_ceilings(values, explicit, warnings)
    return Settings(**values), warnings


def _apply_ceilings(values: dict[str, Any], explicit: set[str], warnings: list[str]) -> None:
    """A limit the operator set is also its ceiling, unless a ``<name>_max`` says
    otherwise ("none": no ceiling); a limit above its ceiling is lowered to it."""
    for name in CEILING_OF:
        top = f"{name}_max"
        if values[top] is None:
            # A cell_timeout of 0 (off) sets no ceiling.
            if name in explicit and top not in explicit and values[name] != 0:
                values[top] = values[name]
        elif values[name] > values[top] or values[name] == 0:
            if name in explicit:
                warnings.append(
                    f"{name}={values[name]!r} is above its ceiling {values[top]!r};"
                    f" using {values[top]!r}."
                )
            values[name] = values[top]


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
