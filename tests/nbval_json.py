"""A pytest plugin for the nbval run: sanitize JSON (dict) outputs too.

nbval applies ``--nbval-sanitize-with`` patterns to string outputs only, so
the ``application/vnd.codemode.query+json`` payload (a dict with
``elapsed_ms``) could never compare. This renders dict outputs as sorted
JSON text before the same patterns run, so everything deterministic in the
payload is still compared.
"""

from __future__ import annotations

import json

from nbval.plugin import IPyNbCell

_plain_sanitize = IPyNbCell.sanitize


def _sanitize(self: IPyNbCell, s: object) -> object:
    if isinstance(s, dict | list):
        s = json.dumps(s, sort_keys=True, indent=1)
    return _plain_sanitize(self, s)


IPyNbCell.sanitize = _sanitize
