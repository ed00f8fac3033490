"""Tokenizer and parser of the flow expression language.

A hand-written recursive-descent parser over a fixed grammar: there is no
eval, no Python AST and no attribute access, so nothing in a flow file can
reach Python internals. Depth, size and literal limits are enforced while
parsing, before any recursion could run away.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

MAX_SOURCE = 2000
MAX_DEPTH = 32
MAX_NODES = 500
MAX_STRING = 1000
MAX_LIST = 100
KEYWORDS = {"and", "or", "not", "in", "if", "else", "true", "false", "null"}
TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<string>'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|[<>+\-*/%()\[\],.])
""", re.VERBOSE)
ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "'": "'", '"': '"'}


class ExprError(Exception):
    """A flow expression that cannot be compiled; ``offset`` points into its source."""

    def __init__(self, message: str, offset: int = 0, rule: str = "expr/syntax", suggestion: str | None = None):
        super().__init__(message)
        self.message, self.offset, self.rule, self.suggestion = message, offset, rule, suggestion


@dataclass(frozen=True)
class Tok:
    kind: str  # number, string, name, kw, op, end
    text: str
    pos: int
    value: object = None


@dataclass(frozen=True)
class Node:
    kind: str  # lit, list, name, index, unary, binary, compare, logic, not, cond, call
    pos: int
    args: tuple = ()
    value: object = None


def tokenize(src: str) -> list[Tok]:
    if len(src) > MAX_SOURCE:
        raise ExprError(f"expression longer than {MAX_SOURCE} characters", MAX_SOURCE, "expr/too-complex")
    out, pos = [], 0
    while pos < len(src):
        m = TOKEN.match(src, pos)
        if m is None:
            ch = src[pos]
            hint = " (names are ASCII; put Chinese text in quotes)" if ord(ch) > 127 else ""
            raise ExprError(f"unexpected character {ch!r}{hint}", pos)
        kind = m.lastgroup
        text = m.group()
        if kind == "number":
            value = float(text) if "." in text else int(text)
            if isinstance(value, int) and value > 2**53:
                raise ExprError("number too large", pos, "expr/too-complex")
            out.append(Tok("number", text, pos, value))
        elif kind == "string":
            if len(text) - 2 > MAX_STRING:
                raise ExprError(f"string literal longer than {MAX_STRING} characters", pos, "expr/too-complex")
            out.append(Tok("string", text, pos, _unescape(text, pos)))
        elif kind == "name":
            out.append(Tok("kw" if text in KEYWORDS else "name", text, pos))
        elif kind == "op":
            out.append(Tok("op", text, pos))
        pos = m.end()
    if src[pos:pos + 1] in ("'", '"'):
        raise ExprError("unterminated string", pos)
    out.append(Tok("end", "", len(src)))
    return out


def _unescape(text: str, pos: int) -> str:
    body, out, i = text[1:-1], [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            nxt = body[i + 1]
            if nxt not in ESCAPES:
                raise ExprError(f"unknown escape \\{nxt}", pos + 1 + i)
            out.append(ESCAPES[nxt])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


class Parser:
    def __init__(self, src: str):
        self.src = src
        self.toks = tokenize(src)
        self.i = 0
        self.depth = 0
        self.nodes = 0

    # -- helpers
    @property
    def tok(self) -> Tok:
        return self.toks[self.i]

    def take(self) -> Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    def at(self, kind: str, text: str | None = None) -> bool:
        t = self.tok
        return t.kind == kind and (text is None or t.text == text)

    def expect(self, kind: str, text: str) -> Tok:
        if not self.at(kind, text):
            found = self.tok.text or "end of expression"
            raise ExprError(f"expected {text!r}, found {found!r}", self.tok.pos)
        return self.take()

    def node(self, kind: str, pos: int, args: tuple = (), value=None) -> Node:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ExprError(f"expression has more than {MAX_NODES} parts", pos, "expr/too-complex")
        return Node(kind, pos, args, value)

    def nested(self, fn):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(f"expression nested deeper than {MAX_DEPTH} levels", self.tok.pos, "expr/too-complex")
        try:
            return fn()
        finally:
            self.depth -= 1

    # -- grammar
    def parse(self) -> Node:
        n = self.expr()
        if not self.at("end"):
            raise ExprError(f"unexpected {self.tok.text!r}", self.tok.pos)
        return n

    def expr(self) -> Node:
        return self.nested(self.cond)

    def cond(self) -> Node:
        n = self.or_()
        if self.at("kw", "if"):
            pos = self.take().pos
            test = self.or_()
            self.expect("kw", "else")
            other = self.nested(self.cond)
            return self.node("cond", pos, (test, n, other))
        return n

    def or_(self) -> Node:
        n = self.and_()
        while self.at("kw", "or"):
            pos = self.take().pos
            n = self.node("logic", pos, (n, self.and_()), "or")
        return n

    def and_(self) -> Node:
        n = self.not_()
        while self.at("kw", "and"):
            pos = self.take().pos
            n = self.node("logic", pos, (n, self.not_()), "and")
        return n

    def not_(self) -> Node:
        if self.at("kw", "not"):
            pos = self.take().pos
            return self.node("not", pos, (self.nested(self.not_),))
        return self.compare()

    def compare(self) -> Node:
        n = self.additive()
        t = self.tok
        if t.kind == "op" and t.text in ("==", "!=", "<", "<=", ">", ">="):
            self.take()
            return self.node("compare", t.pos, (n, self.additive()), t.text)
        if t.kind == "kw" and t.text == "in":
            self.take()
            return self.node("compare", t.pos, (n, self.additive()), "in")
        if t.kind == "kw" and t.text == "not" and self.toks[self.i + 1].text == "in":
            self.take()
            self.take()
            return self.node("compare", t.pos, (n, self.additive()), "not in")
        return n

    def additive(self) -> Node:
        n = self.mult()
        while self.tok.kind == "op" and self.tok.text in ("+", "-"):
            t = self.take()
            n = self.node("binary", t.pos, (n, self.mult()), t.text)
        return n

    def mult(self) -> Node:
        n = self.unary()
        while self.tok.kind == "op" and self.tok.text in ("*", "/", "%"):
            t = self.take()
            n = self.node("binary", t.pos, (n, self.unary()), t.text)
        return n

    def unary(self) -> Node:
        if self.at("op", "-"):
            pos = self.take().pos
            return self.node("unary", pos, (self.nested(self.unary),), "-")
        return self.postfix()

    def postfix(self) -> Node:
        n = self.primary()
        while True:
            if self.at("op", "."):
                dot = self.take()
                if n.kind != "name":
                    raise ExprError("member access works on names only", dot.pos)
                if not self.at("name"):
                    raise ExprError("expected a name after '.'", self.tok.pos)
                n = Node("name", n.pos, (), n.value + "." + self.take().text)
            elif self.at("op", "["):
                pos = self.take().pos
                index = self.expr()
                self.expect("op", "]")
                n = self.node("index", pos, (n, index))
            else:
                return n

    def primary(self) -> Node:
        t = self.tok
        if t.kind in ("number", "string"):
            self.take()
            return self.node("lit", t.pos, (), t.value)
        if t.kind == "kw" and t.text in ("true", "false", "null"):
            self.take()
            return self.node("lit", t.pos, (), {"true": True, "false": False, "null": None}[t.text])
        if self.at("op", "("):
            self.take()
            n = self.expr()
            self.expect("op", ")")
            return n
        if self.at("op", "["):
            self.take()
            items = []
            while not self.at("op", "]"):
                items.append(self.expr())
                if len(items) > MAX_LIST:
                    raise ExprError(f"list literal longer than {MAX_LIST} items", t.pos, "expr/too-complex")
                if not self.at("op", ","):
                    break
                self.take()
            self.expect("op", "]")
            return self.node("list", t.pos, tuple(items))
        if t.kind == "name":
            self.take()
            if self.at("op", "("):
                self.take()
                args = []
                while not self.at("op", ")"):
                    args.append(self.expr())
                    if not self.at("op", ","):
                        break
                    self.take()
                self.expect("op", ")")
                return self.node("call", t.pos, tuple(args), t.text)
            return self.node("name", t.pos, (), t.text)
        found = t.text or "end of expression"
        raise ExprError(f"expected a value, found {found!r}", t.pos)


def parse(src: str) -> Node:
    return Parser(src).parse()
