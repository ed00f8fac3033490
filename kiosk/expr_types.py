"""Value types and privacy classes of the expression language."""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum


class ExprType(StrEnum):
    STRING = "string"
    INT = "int"
    NUMBER = "number"
    BOOL = "bool"
    DATE = "date"
    LIST = "list"
    MAP = "map"
    NULL = "null"
    ANY = "any"


class Privacy(IntEnum):
    """Ordered: an expression is as private as the most private value it reads."""

    PUBLIC = 0
    PERSONAL = 1
    IDENTIFIER = 2
    BIOMETRIC = 3


@dataclass(frozen=True)
class Var:
    type: ExprType
    privacy: Privacy = Privacy.PUBLIC
    doc: str = ""


def compatible(actual: ExprType, wanted: ExprType | tuple) -> bool:
    wanted_set = wanted if isinstance(wanted, tuple) else (wanted,)
    if actual in (ExprType.ANY, ExprType.NULL) or ExprType.ANY in wanted_set:
        return True
    if actual in wanted_set:
        return True
    return actual == ExprType.INT and ExprType.NUMBER in wanted_set


def unify(a: ExprType, b: ExprType) -> ExprType:
    if a == b:
        return a
    if ExprType.NULL in (a, b):
        return b if a == ExprType.NULL else a
    if {a, b} == {ExprType.INT, ExprType.NUMBER}:
        return ExprType.NUMBER
    return ExprType.ANY
