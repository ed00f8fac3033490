"""Tokenizer and Pratt parser of the flow expression language.

Flow files are untrusted, so the parser is the first wall: a fixed grammar,
no eval, no Python AST, no attribute access. Every limit (source length,
nesting, AST depth, node count, literal sizes) is checked while parsing, so
no input can run the recursion away or build a huge tree before we refuse.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

MAX_SOURCE = 2000
MAX_DEPTH = 32  # of the syntax tree
MAX_NESTING = 64  # parser recursion: parentheses, unary operators, arguments
MAX_NODES = 500
MAX_STRING = 1000
MAX_LIST = 100
MAX_INT = 2**53  # beyond this, JavaScript editors and JSON tooling lose precision
KEYWORDS = frozenset({"and", "or", "not", "in", "if", "else", "true", "false", "null"})
COMPARE = frozenset({"==", "!=", "<", "<=", ">", ">=", "in", "not in"})
ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "'": "'", '"': '"'}
# Explicit ASCII classes: \d and \w would admit full-width and Arabic-Indic digits and Chinese names.
TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<number>[0-9]+(?:\.[0-9]+)?)
  | (?P<string>'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\*\*|==|!=|<=|>=|&&|\|\||[<>+\-*/%()\[\],.=!&|])
""", re.VERBOSE)
MISTAKES = {  # operators people bring from other languages, refused with a pointer to ours
    "**": "there is no power operator", "=": "use '==' to compare", "!": "use 'not'",
    "&&": "use 'and'", "||": "use 'or'", "&": "use 'and'", "|": "use 'or'",
}
# Binding powers, lowest first; `not` (prefix) binds at 4, unary minus at 8.
INFIX = {"if": 1, "or": 2, "and": 3, "+": 6, "-": 6, "*": 7, "/": 7, "%": 7, ".": 9, "[": 9, "(": 9}
INFIX.update(dict.fromkeys(COMPARE, 5))


class ExprError(Exception):
    """An expression that cannot be compiled; ``offset`` (and ``end``) point into its source."""

    def __init__(self, message: str, offset: int = 0, rule: str = "expr/syntax",
                 suggestion: str | None = None, end: int | None = None):
        super().__init__(message)
        self.message, self.offset, self.rule, self.suggestion = message, offset, rule, suggestion
        self.end = max(end if end is not None else 0, offset + 1)  # exclusive; a caret is at least one wide

    def moved(self, by: int) -> "ExprError":
        """The same error for a source embedded at offset ``by`` (a template's ``{{ }}``)."""
        return ExprError(self.message, self.offset + by, self.rule, self.suggestion, self.end + by)


@dataclass(frozen=True, slots=True)
class Tok:
    kind: str  # number, string, name, kw, op, end
    text: str
    pos: int
    value: object = None

    @property
    def end(self) -> int:
        return self.pos + len(self.text)


@dataclass(frozen=True, slots=True)
class Node:
    kind: str  # lit, list, name, index, neg, arith, compare, and, or, not, cond, call
    pos: int
    end: int
    args: tuple = ()
    value: object = None  # literal value, dotted name, operator or function name
    depth: int = 1


def tokenize(src: str) -> list[Tok]:
    """Split ``src`` into tokens; literals are decoded and bounded here, once."""
    if len(src) > MAX_SOURCE:
        raise ExprError(f"expression longer than {MAX_SOURCE} characters", MAX_SOURCE, "expr/too-complex")
    out: list[Tok] = []
    pos = 0
    while pos < len(src):
        m = TOKEN.match(src, pos)
        if m is None:
            raise _bad_char(src, pos)
        kind, text = m.lastgroup, m.group()
        if kind == "number":
            out.append(Tok("number", text, pos, _number(text, pos)))
        elif kind == "string":
            if len(text) - 2 > MAX_STRING:
                raise ExprError(f"text literal longer than {MAX_STRING} characters", pos, "expr/too-complex",
                                end=m.end())
            out.append(Tok("string", text, pos, _unescape(text, pos)))
        elif kind == "name":
            if text.startswith("__"):
                raise ExprError("names starting with '__' are not allowed", pos, end=m.end())
            out.append(Tok("kw" if text in KEYWORDS else "name", text, pos))
        elif kind == "op":
            if text in MISTAKES:
                raise ExprError(f"unexpected {text!r}: {MISTAKES[text]}", pos, end=m.end())
            out.append(Tok("op", text, pos))
        pos = m.end()
    out.append(Tok("end", "", len(src)))
    return out


def _bad_char(src: str, pos: int) -> ExprError:
    ch = src[pos]
    if ch in "'\"":
        return ExprError("text literal is not closed on this line", pos)
    if ord(ch) > 127 and (ch.isalpha() or ch.isdigit()):
        return ExprError(f"unexpected {ch!r}: names and numbers are ASCII; put Chinese text in quotes", pos)
    return ExprError(f"unexpected character {ch!r}", pos)


def _number(text: str, pos: int) -> int | float:
    value: int | float = float(text) if "." in text else int(text)
    if not math.isfinite(value) or abs(value) > MAX_INT:
        raise ExprError("number too large", pos, "expr/too-complex", end=pos + len(text))
    return value


def _unescape(text: str, pos: int) -> str:
    body, out, i = text[1:-1], [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            nxt = body[i + 1]  # the token pattern guarantees a character after a backslash
            if nxt not in ESCAPES:
                raise ExprError(f"unknown escape \\{nxt} (use \\\\ for a backslash)", pos + 1 + i, end=pos + 3 + i)
            out.append(ESCAPES[nxt])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


class Parser:
    """Pratt parser: one loop per binding power instead of one function per precedence level."""

    def __init__(self, src: str):
        self.toks = tokenize(src)
        self.i = 0
        self.nesting = 0
        self.nodes = 0

    @property
    def tok(self) -> Tok:
        return self.toks[self.i]

    def take(self) -> Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    def at(self, text: str) -> bool:
        t = self.tok
        return t.text == text and t.kind in ("op", "kw")

    def expect(self, text: str) -> Tok:
        if not self.at(text):
            raise ExprError(f"expected {text!r}, found {_found(self.tok)}", self.tok.pos, end=self.tok.end)
        return self.take()

    def node(self, kind: str, pos: int, end: int, args: tuple = (), value=None) -> Node:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ExprError(f"expression has more than {MAX_NODES} parts", pos, "expr/too-complex", end=end)
        depth = 1 + max((a.depth for a in args), default=0)
        if depth > MAX_DEPTH:
            raise ExprError(f"expression nested deeper than {MAX_DEPTH} levels", pos, "expr/too-complex", end=end)
        return Node(kind, pos, end, args, value, depth)

    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise ExprError("empty expression", 0)
        n = self.expr(0)
        if self.tok.kind != "end":
            raise ExprError(f"unexpected {_found(self.tok)}", self.tok.pos, end=self.tok.end)
        return n

    def expr(self, rbp: int) -> Node:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise ExprError(f"expression nested deeper than {MAX_DEPTH} levels", self.tok.pos, "expr/too-complex")
        left = self.prefix(self.take())
        while self.binding() > rbp:
            left = self.infix(self.take(), left)
        self.nesting -= 1
        return left

    def binding(self) -> int:
        t = self.tok
        if t.kind not in ("op", "kw"):
            return 0
        if t.text == "not":  # only as the start of `not in`
            return INFIX["not in"] if self.toks[self.i + 1].text == "in" else 0
        return INFIX.get(t.text, 0)

    # -- prefix positions
    def prefix(self, t: Tok) -> Node:
        if t.kind in ("number", "string"):
            return self.node("lit", t.pos, t.end, (), t.value)
        if t.kind == "kw" and t.text in ("true", "false", "null"):
            return self.node("lit", t.pos, t.end, (), {"true": True, "false": False, "null": None}[t.text])
        if t.kind == "name":
            return self.name(t)
        if t.kind == "kw" and t.text == "not":
            operand = self.expr(4)
            return self.node("not", t.pos, operand.end, (operand,), "not")
        if t.kind == "op" and t.text == "-":
            operand = self.expr(8)
            return self.node("neg", t.pos, operand.end, (operand,))
        if t.kind == "op" and t.text == "(":
            inner = self.expr(0)
            self.expect(")")
            return inner
        if t.kind == "op" and t.text == "[":
            items = self.items("]")
            close = self.expect("]")
            return self.node("list", t.pos, close.end, tuple(items))
        raise ExprError(f"expected a value, found {_found(t)}", t.pos, end=t.end)

    def name(self, t: Tok) -> Node:
        """A variable (dotted path) or a function call: only bare names can be called."""
        parts, end = [t.text], t.end
        while self.at("."):
            self.take()
            seg = self.tok
            if seg.kind != "name":
                raise ExprError(f"expected a field name after '.', found {_found(seg)}", seg.pos, end=seg.end)
            self.take()
            parts.append(seg.text)
            end = seg.end
        if self.at("(") and len(parts) == 1:
            self.take()
            args = self.items(")")
            close = self.expect(")")
            return self.node("call", t.pos, close.end, tuple(args), t.text)
        return self.node("name", t.pos, end, (), ".".join(parts))

    def items(self, close: str) -> list[Node]:
        """Comma-separated expressions up to ``close``; a trailing comma is fine."""
        out: list[Node] = []
        while not self.at(close):
            if len(out) == MAX_LIST:
                raise ExprError(f"more than {MAX_LIST} items", self.tok.pos, "expr/too-complex")
            out.append(self.expr(0))
            if not self.at(","):
                break
            self.take()
        return out

    # -- infix positions
    def infix(self, t: Tok, left: Node) -> Node:
        op = t.text
        if op in ("and", "or"):
            return self.logic(op, left)
        if op == "not":
            self.take()  # the `in` of `not in`
            op = "not in"
        if op in COMPARE:
            right = self.expr(5)
            if self.binding() == 5:
                raise ExprError("comparisons cannot be chained; join them with 'and'", self.tok.pos,
                                end=self.tok.end)
            return self.node("compare", t.pos, right.end, (left, right), op)
        if op in ("+", "-", "*", "/", "%"):
            right = self.expr(INFIX[op])
            return self.node("arith", t.pos, right.end, (left, right), op)
        if op == "if":
            test = self.expr(INFIX["if"])
            self.expect("else")
            other = self.expr(0)
            return self.node("cond", t.pos, other.end, (test, left, other))
        if op == "[":
            index = self.expr(0)
            close = self.expect("]")
            return self.node("index", t.pos, close.end, (left, index))
        if op == ".":
            raise ExprError("fields can be read from variables only; use x['key'] on other values", t.pos)
        raise ExprError("only functions can be called, by name: there are no methods", t.pos)  # "("

    def logic(self, op: str, left: Node) -> Node:
        """`a and b and c` is one node, so a long guard does not count as deep nesting."""
        args = [left, self.expr(INFIX[op])]  # the first operator is already taken
        while self.at(op):
            self.take()
            args.append(self.expr(INFIX[op]))
        return self.node(op, left.pos, args[-1].end, tuple(args), op)


def _found(t: Tok) -> str:
    return repr(t.text) if t.kind != "end" else "the end of the expression"


def parse(src: str) -> Node:
    """Parse one expression; raises ExprError with the offset of the first problem."""
    return Parser(src).parse()
