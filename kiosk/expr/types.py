"""Value types and privacy classes of the expression language."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk.expr.codes import CodeTable


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


class Mask(StrEnum):
    """How a non-public value may appear on a screen: the masked form its kind allows, or none at all.

    Only a value read as declared has a shape worth partly showing (an ID
    number's first and last four, a surname). Anything computed from it (a
    character, a comparison, a date turned into text) has no safe partial
    form, so it is HIDE: shown as *** and refused by the linter on screens.
    """

    NONE = "none"  # public: shown as is
    ID = "id"  # 1101**********002X
    NAME = "name"  # 张*
    TEXT = "text"  # at most the first 6 characters, never more than half
    MASKED = "masked"  # already masked by mask()/mask_name() of a maskable value
    HIDE = "hide"  # no partial form: ***


@dataclass(frozen=True)
class Label:
    """The privacy half of a static type: how private a value is, how it may be shown, whether revealed.

    ``reveals`` is true when reveal() of a non-public value occurs anywhere in
    the expression (what the linter refuses outside declared documents);
    ``revealed`` only when the whole expression is reveal(...) (what the
    renderer honours, and only where revealing is allowed).
    """

    privacy: Privacy = Privacy.PUBLIC
    mask: Mask = Mask.NONE
    revealed: bool = False
    reveals: bool = False
    codes: "CodeTable | None" = None  # the value is a code; templates show its text (kiosk.expr.codes)

    @property
    def public(self) -> bool:
        return self.privacy == Privacy.PUBLIC


PUBLIC_LABEL = Label()


def default_mask(privacy: Privacy, t: "ExprType") -> Mask:
    """The masked form a declared value gets unless its declaration says better."""
    if privacy == Privacy.PUBLIC:
        return Mask.NONE
    if privacy == Privacy.IDENTIFIER and t == ExprType.STRING:
        return Mask.ID
    if privacy == Privacy.PERSONAL and t == ExprType.STRING:
        return Mask.TEXT
    return Mask.HIDE


def derived(*labels: Label) -> Label:
    """A value computed from others: as private as the most private, and with no partial form if not public."""
    privacy = max((lb.privacy for lb in labels), default=Privacy.PUBLIC)
    reveals = any(lb.reveals for lb in labels)
    return Label(privacy, Mask.NONE if privacy == Privacy.PUBLIC else Mask.HIDE, False, reveals)


@dataclass(frozen=True)
class Var:
    type: ExprType
    privacy: Privacy = Privacy.PUBLIC
    doc: str = ""
    mask: Mask | None = None  # None: default_mask(privacy, type)
    codes: "CodeTable | None" = None  # a call result naming a code table of its service
    items: dict | None = field(default=None, compare=False)  # a list's declared item fields: name -> Var or dict

    @property
    def label(self) -> Label:
        return Label(self.privacy, self.mask if self.mask is not None and self.privacy else
                     default_mask(self.privacy, self.type), codes=self.codes)


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
