"""Personal facts: the one place their values are masked, in explanations and in the log.

A fact declared `personal` is evaluated like any other, but its value never leaves in words
or in a logged record: a known value reads `***`; an unknown one (null) stays null, so the log
still says it was missing.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterable, Mapping
from typing import Any

MASK = "***"


def masked(value: Any) -> Any:
    """A personal fact's value as it may be shown: `***` when known, None as it is."""
    return None if value is None else MASK


def shown(name: str, value: Any, personal: Collection[str]) -> Any:
    """The value of the fact `name` (dotted) as it may be shown: masked if it is personal."""
    return masked(value) if name in personal else value


def mask_facts(facts: Mapping[str, Any], personal: Iterable[str]) -> dict[str, Any]:
    """Deep copy of nested `facts` with each present personal fact (dotted name) masked;
    every mapping comes back a plain dict, the input is never changed."""
    copied = _copy(facts)
    for name in personal:
        *parents, leaf = name.split(".")
        node: Any = copied
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and leaf in node:
            node[leaf] = masked(node[leaf])
    return copied


def mask_trace(out: dict[str, Any], personal: Collection[str]) -> dict[str, Any]:
    """A decision's JSON with the personal facts' values in its trace masked (its words never
    held them: explanations show facts through `shown`). `out` itself is left as it is."""
    if not personal:
        return out
    trace = [
        {
            **step,
            "facts": {
                name: masked(value) if name in personal else value
                for name, value in step["facts"].items()
            },
        }
        for step in out["trace"]
    ]
    return {**out, "trace": trace}


def _copy(facts: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _copy_value(value) for key, value in facts.items()}


def _copy_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        return _copy(value)
    if isinstance(value, list | tuple):
        return [_copy_value(item) for item in value]
    return copy.deepcopy(value)
