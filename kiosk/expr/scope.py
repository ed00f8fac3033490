"""The declared variables an expression may read, checked when a flow loads.

Its own module because both the public API (kiosk.expr) and the checker
(kiosk.expr.check) need it, and the checker must not import the API that
imports it.
"""
from __future__ import annotations

from typing import Any

from kiosk.expr.types import Var


class Scope:
    """The declared variables: nested dicts are namespaces, leaves are Var. Immutable once built."""

    def __init__(self, variables: dict[str, Var | dict]):
        self._tree = _copy_tree(variables, "")
        self._names: list[str] | None = None

    def lookup(self, dotted: str) -> Var | None:
        found = self._find(dotted)
        return found if isinstance(found, Var) else None

    def names(self) -> list[str]:
        """Every dotted leaf name, sorted: the candidates for did-you-mean."""
        if self._names is None:
            out: list[str] = []
            _walk(self._tree, "", out)
            self._names = sorted(out)
        return list(self._names)

    def child(self, extra: dict) -> "Scope":
        """A new scope with ``extra`` merged in (namespaces merge, leaves replace)."""
        return Scope(_merge(self._tree, _copy_tree(extra, "")))

    def group(self, dotted: str) -> dict | None:
        """The namespace at ``dotted``, if it is one (for the 'is a group' error)."""
        found = self._find(dotted)
        return found if isinstance(found, dict) else None

    def _find(self, dotted: str):
        node: Any = self._tree
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node


def _copy_tree(tree: dict, prefix: str) -> dict:
    if not isinstance(tree, dict):
        raise TypeError(f"scope {prefix or 'root'} must be a dict of Var or dict")
    out = {}
    for key, value in tree.items():
        if not isinstance(key, str) or not (isinstance(value, (Var, dict))):
            raise TypeError(f"scope entry {prefix}{key!r} must be a Var or a dict")
        out[key] = _copy_tree(value, f"{prefix}{key}.") if isinstance(value, dict) else value
    return out


def _merge(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _walk(node: dict, prefix: str, out: list) -> None:
    for k, v in node.items():
        if isinstance(v, dict):
            _walk(v, f"{prefix}{k}.", out)
        else:
            out.append(prefix + k)
