"""SQLite's own tokenizer rules, in one linear pass: splitting and parameters.

This follows SQLite's ``tokenize.c`` (token classes) and ``complete.c`` (when a
statement is complete, triggers included), so a script is split exactly where
``sqlite3.complete_statement`` would split it, in time linear in the text's
length (issue 17, kinds 8 and 9: no regular expression here has nested or
overlapping quantifiers, and no piece of text is scanned twice).

Only what the guard needs is distinguished: blanks (whitespace, comments),
``;``, quoted tokens, parameters (``?``, ``?NNN``, ``:name``, ``@name``,
``$name``, ``#name``), words, and everything else.
"""

from __future__ import annotations

import dataclasses
import re

__all__ = ["Param", "Piece", "Token", "leading_words", "split", "tokenize"]

_ID = "0-9A-Za-z_$\u0080-\U0010ffff"
# Each alternative starts with a different character class, and each repeat
# is a single character class: linear, whatever the input.
_TOKEN = re.compile(
    r"(?P<ws>[ \t\n\v\f\r\ufeff]+)"
    r"|(?P<lc>--[^\n]*)"
    r"|(?P<bc>/\*[^*]*\*+(?:[^*/][^*]*\*+)*/|/\*.*)"
    r"|(?P<semi>;)"
    r"|(?P<blob>[xX]'[^']*'?)"
    r"|(?P<str>'[^']*(?:''[^']*)*'?)"
    r'|(?P<qid>"[^"]*(?:""[^"]*)*"?|`[^`]*(?:``[^`]*)*`?|\[[^\]]*\]?)'
    r"|(?P<num>\?[0-9]*)"  # a ? parameter (?NNN), named 'num' for the group test below
    # SQLite's TCL-only "$a(x)" suffix is left out: complete.c, which decides
    # the split, reads those characters one by one.
    rf"|(?P<var>[:@$#][{_ID}]+(?:::[{_ID}]+)*)"
    rf"|(?P<word>[A-Za-z_\u0080-\U0010ffff][{_ID}]*)"
    r"|(?P<other>[0-9.]+|[<>=!|&~+*%^]+|.)",  # operators in runs; ( ) , alone
    re.S,
)


@dataclasses.dataclass(frozen=True, slots=True)
class Token:
    kind: str  #: ws, lc, bc, semi, blob, str, qid, num (a ? parameter), var, word, other
    start: int  #: offset in the text (characters)
    end: int

    @property
    def blank(self) -> bool:
        return self.kind in ("ws", "lc", "bc")


@dataclasses.dataclass(frozen=True, slots=True)
class Param:
    """One parameter token, with the index SQLite gives it (1-based)."""

    text: str  #: as written: ``?``, ``?3``, ``:name``, ``@x``, ``$y``
    index: int  #: SQLite's parameter number (repeated names share one)
    name: str | None  #: the key sqlite3 looks up in a dict (text minus its first char)
    start: int  #: offset in the statement text
    end: int


@dataclasses.dataclass(frozen=True, slots=True)
class Piece:
    """One statement of a script, as SQLite would see it."""

    offset: int  #: where its first token starts in the script
    text: str  #: from its first token through its ``;`` (if any)
    params: tuple[Param, ...]  #: offsets relative to ``text``
    count: int  #: sqlite3_bind_parameter_count: the largest parameter index

    def tokens(self) -> list[Token]:
        """Every token of the statement (computed on demand: most calls never need it)."""
        return tokenize(self.text)


def tokenize(text: str) -> list[Token]:
    """All tokens of ``text``, blanks included; their spans cover the text."""
    return [Token(m.lastgroup or "other", m.start(), m.end()) for m in _TOKEN.finditer(text)]


# complete.c's state machine: token classes SEMI WS OTHER EXPLAIN CREATE TEMP TRIGGER END.
_TRANS = (
    (1, 0, 2, 3, 4, 2, 2, 2),  # 0 INVALID
    (1, 1, 2, 3, 4, 2, 2, 2),  # 1 START
    (1, 2, 2, 2, 2, 2, 2, 2),  # 2 NORMAL
    (1, 3, 3, 2, 4, 2, 2, 2),  # 3 EXPLAIN
    (1, 4, 2, 2, 2, 4, 5, 2),  # 4 CREATE
    (6, 5, 5, 5, 5, 5, 5, 5),  # 5 TRIGGER
    (6, 6, 5, 5, 5, 5, 5, 7),  # 6 SEMI
    (1, 7, 5, 5, 5, 5, 5, 5),  # 7 END
)
_WORD_CLASS = {"explain": 3, "create": 4, "temp": 5, "temporary": 5, "trigger": 6, "end": 7}
_BLANK = frozenset(("ws", "lc", "bc"))
# In the NORMAL state only ';', quotes, comments and parameters matter: skip
# the rest in runs ('$' continues an identifier, as in SQLite).
_BORING = re.compile(rf"(?:[^;'\"`\[\-/?:@$#]+|(?<=[{_ID}])\$)+")


def split(sql: str) -> list[Piece]:
    """Split a script into statements where ``sqlite3.complete_statement`` would.

    A statement ends at a ``;`` after which the text so far is complete (a
    trigger's inner ``;`` does not end it). Pieces that hold only blanks and
    ``;`` are dropped. Each piece starts at its first token, so positions in
    messages point there. One pass, linear in ``len(sql)``.
    """
    pieces: list[Piece] = []
    params: list[tuple[str, str, int, int]] = []
    state = 0
    first = -1  # offset of the current statement's first token
    pos, n = 0, len(sql)
    token, boring = _TOKEN.match, _BORING.match
    while pos < n:
        if state == 2:
            m = boring(sql, pos)
            if m is not None:
                pos = m.end()
                continue
        m = token(sql, pos)
        kind = m.lastgroup
        end = m.end()
        if kind == "semi":
            cls = 0
        elif kind in _BLANK:
            cls = 1
        elif kind == "word" and state != 2:
            cls = _WORD_CLASS.get(sql[pos:end].lower(), 2) if end - pos <= 9 else 2
        else:
            cls = 2
        if cls >= 2 and first < 0:
            first = pos
        if kind == "num" or kind == "var":
            params.append((kind, sql[pos:end], pos, end))
        state = _TRANS[state][cls]
        pos = end
        if cls == 0 and state == 1:
            _add(sql, first, pos, params, pieces)
            first, params = -1, []
    _add(sql, first, n, params, pieces)
    return pieces


def _add(sql: str, first: int, end: int, params: list, out: list[Piece]) -> None:
    if first < 0:
        return
    found, count = _params(params, first)
    out.append(Piece(first, sql[first:end], found, count))


def _params(found: list[tuple[str, str, int, int]], base: int) -> tuple[tuple[Param, ...], int]:
    """Parameters numbered as SQLite numbers them (``sqlite3ExprAssignVarNumber``)."""
    out: list[Param] = []
    named: dict[str, int] = {}
    n = 0
    for kind, s, start, end in found:
        if kind == "num" and len(s) == 1:
            n += 1
            index = n
        elif kind == "num":
            index = int(s[1:])
            n = max(n, index)
        else:
            if s not in named:
                n += 1
                named[s] = n
            index = named[s]
        out.append(Param(s, index, s[1:] if len(s) > 1 else None, start - base, end - base))
    return tuple(out), n


def leading_words(text: str, n: int = 4) -> list[str]:
    """The first ``n`` non-blank tokens of a statement, words upper-cased."""
    out = []
    for m in _TOKEN.finditer(text):
        if m.lastgroup in _BLANK:
            continue
        out.append(m.group().upper())
        if len(out) == n:
            break
    return out
