"""Document templates beside a flow, and what they render to.

``<name>.receipt`` is a line-based layout for thermal printers: each line is
a template, optionally led by directives (``@center``, ``@big``, ``@huge``,
``@bold``, ``@qr``, ``@feed N``, ``@cut``); a line that is only
``{% for d in data.x %}``, ``{% empty %}`` or ``{% endfor %}`` repeats the
lines between once per item. ``<name>.html`` is an A4 page rendered to PDF
by the document renderer; its loops are those of any template.

Receipts are thermal slips left behind in trays: they carry no personal
value at all (the linter refuses one; if one got through it prints ***).
An A4 page shows personal values only when every step that prints it
declares ``personal: true``; then they are masked, or whole inside
``reveal(...)``.
"""
from __future__ import annotations

import html
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from devices.records import Cut, Feed, QrCode, Receipt, Text
from kiosk import privacy
from kiosk.expr import ExprError, Loop, Scope, Template, compile_loop, compile_template
from kiosk.expr.template import MAX_ROWS
from kiosk.flow.problems import Problem

MAX_TEMPLATE = 200_000
DIRECTIVE = re.compile(r"^@(center|right|big|huge|bold|qr|feed|cut)\b\s*(.*)$")
LINE_TAG = re.compile(r"^(\s*\{%-?\s*)(for\s+(.*?)|empty|endfor)\s*-?%\}\s*$")
MAX_LOOP_DEPTH = 3


@dataclass(frozen=True)
class Document:
    """A rendered document: what was printed, as text for tests and journals, plus its printable form."""

    name: str
    printer: str  # receipt_printer | document_printer
    number: str
    text: str
    receipt: Receipt | None = None
    html: str | None = None
    pdf: bytes | None = None


@dataclass
class DocumentTemplate:
    name: str
    kind: str  # receipt | html
    file: str
    lines: list = field(default_factory=list)  # receipt: (directives, Template) or Loop whose parts are such lines
    page: Template | None = None  # html
    spans: list[tuple[int, int, Template]] = field(default_factory=list)  # where each template starts (line, col)
    may_reveal: bool = False  # set by the bundle: every step printing this A4 page declares personal data

    @property
    def printer(self) -> str:
        return "receipt_printer" if self.kind == "receipt" else "document_printer"

    def render(self, context: dict, number: str) -> Document:
        if self.kind == "receipt":
            return self._render_receipt(context, number)
        assert self.page is not None
        show = privacy.show_revealed if self.may_reveal else privacy.hide
        page = self.page.render(context, show=lambda v, lb, src: html.escape(show(v, lb, src)))  # <qr-code> too
        text = re.sub(r"\s+\n", "\n", html.unescape(re.sub(r"<[^>]+>", " ", page)))
        text = "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())
        return Document(self.name, self.printer, number, text, html=page)

    def _render_receipt(self, context: dict, number: str) -> Document:
        elements: list = []
        _receipt_lines(self.lines, context, elements, [MAX_ROWS, 0])
        receipt = Receipt(tuple(elements), job_id=number)
        return Document(self.name, self.printer, number, receipt.plain_text(), receipt=receipt)


def _receipt_lines(lines: list, context: dict, elements: list, budget: list[int]) -> None:
    """``budget`` is [rows left, unused]: each line is a template with its own length cap."""
    for entry in lines:
        if isinstance(entry, Loop):
            rows = entry.contexts(context, budget)
            for row in rows:
                _receipt_lines(entry.body, row, elements, budget)
            if not rows:
                _receipt_lines(entry.empty, context, elements, budget)
            continue
        directives, tmpl = entry
        value = tmpl.render(context, show=privacy.hide)
        if "cut" in directives:
            elements.append(Cut())
        elif "feed" in directives:
            elements.append(Feed(int(value or 1)))
        elif "qr" in directives:
            elements.append(QrCode(value))
        else:
            align = "center" if "center" in directives else "right" if "right" in directives else "left"
            scale = 4 if "huge" in directives else 2 if "big" in directives else 1
            elements.append(Text(value, align=align, scale=scale, bold="bold" in directives))


def load_template(path: Path, scope: Scope) -> tuple[DocumentTemplate | None, list[Problem]]:
    name, kind = path.name.split(".", 1)[0], ("receipt" if path.suffix == ".receipt" else "html")
    try:
        raw = _read_no_follow(path, MAX_TEMPLATE + 1)
        if len(raw) > MAX_TEMPLATE:
            return None, [Problem(str(path), 1, 1, "tmpl/too-large", f"template over {MAX_TEMPLATE} bytes")]
        source = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(str(path), 1, 1, "tmpl/unreadable", str(exc))]
    tmpl = DocumentTemplate(name, kind, str(path))
    problems: list[Problem] = []

    def report(exc: ExprError, src: str, line: int, col: int) -> None:
        before = src[: exc.offset]
        l2 = line + before.count("\n")
        c2 = (len(before) - before.rfind("\n")) if "\n" in before else col + exc.offset
        hint = f" (did you mean {exc.suggestion!r}?)" if exc.suggestion else ""
        problems.append(Problem(str(path), l2, c2, exc.rule, exc.message + hint))

    def compile_at(src: str, line: int, col: int, where: Scope) -> Template | None:
        try:
            compiled = compile_template(src, where)
            tmpl.spans.append((line, col, compiled))
            return compiled
        except ExprError as exc:
            report(exc, src, line, col)
            return None

    if kind == "html":
        tmpl.page = compile_at(source, 1, 1, scope)
    else:
        tmpl.lines = _receipt_blocks(source, scope, compile_at, report, problems, str(path))
    return (tmpl if not problems else None), problems


@dataclass
class _Block:
    """An open ``{% for %}`` of a receipt while its lines are read."""

    line: int
    outer: Scope  # what its {% empty %} lines read
    inner: Scope  # what its body lines read
    name: str = ""
    iterable: object = None
    body: list = field(default_factory=list)
    empty: list | None = None

    @property
    def scope(self) -> Scope:
        return self.inner if self.empty is None else self.outer

    @property
    def lines(self) -> list:
        return self.body if self.empty is None else self.empty


def _receipt_blocks(source: str, scope: Scope, compile_at, report, problems: list, file: str) -> list:
    """The receipt's lines, with ``{% for %}`` … ``{% endfor %}`` lines as nested Loops."""
    stack = [_Block(0, scope, scope)]
    for n, line in enumerate(source.splitlines(), start=1):
        top = stack[-1]
        tag = LINE_TAG.match(line)
        if tag is None:
            _receipt_line(line, n, top, compile_at)
            continue
        word, col = tag.group(2).split()[0], len(tag.group(1)) + 1
        problem = None
        if word == "for":
            header = tag.group(2)[3:].lstrip()
            try:
                name, iterable, inner = compile_loop(header, top.scope)
            except ExprError as exc:
                report(exc, header, n, col + len(tag.group(2)) - len(header))
                return []
            stack.append(_Block(n, top.scope, inner, name, iterable))
            if len(stack) > MAX_LOOP_DEPTH + 1:
                problem = ("expr/too-complex", f"loops nested deeper than {MAX_LOOP_DEPTH}")
        elif len(stack) == 1:
            problem = ("tmpl/loop", f"'{{% {word} %}}' without a '{{% for %}}'")
        elif word == "empty" and top.empty is not None:
            problem = ("tmpl/loop", "a second '{% empty %}' in one loop")
        elif word == "empty":
            top.empty = []
        else:
            stack.pop()
            stack[-1].lines.append(Loop(top.name, top.iterable, tuple(top.body), tuple(top.empty or ())))
        if problem:
            problems.append(Problem(file, n, col, *problem))
            return []
    if len(stack) > 1:
        problems.append(Problem(file, stack[-1].line, 1, "tmpl/loop",
                                f"'{{% for {stack[-1].name} in … %}}' without '{{% endfor %}}'"))
    return stack[0].body


def _receipt_line(line: str, n: int, block: _Block, compile_at) -> None:
    directives: list[str] = []
    rest, col = line, 1
    while (m := DIRECTIVE.match(rest)):
        directives.append(m.group(1))
        col += m.start(2)
        rest = m.group(2)
        if m.group(1) in ("qr", "feed", "cut"):
            break
    if not directives and not rest.strip() and not line:
        directives, rest = [], " "
    t = compile_at(rest, n, col, block.scope)
    if t is not None:
        block.lines.append((tuple(directives), t))


def _read_no_follow(path: Path, limit: int) -> bytes:
    """A symlinked template would print any file the kiosk can read; the bundle refuses them, and so does open()."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as f:
        return f.read(limit)


def spots(tmpl: DocumentTemplate):
    """Every interpolation of a template with its line and column in the file, for the privacy rules."""
    for line, col, compiled in tmpl.spans:
        for offset, part in compiled.spots:
            before = compiled.source[:offset]
            if "\n" in before:
                yield line + before.count("\n"), offset - before.rfind("\n"), part
            else:
                yield line, col + offset, part


def template_files(folder: Path) -> dict[str, Path]:
    return {p.name.split(".", 1)[0]: p for p in sorted(folder.iterdir())
            if p.is_file() and (p.suffix == ".receipt" or p.suffix == ".html")}
