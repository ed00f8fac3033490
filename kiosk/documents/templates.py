"""Document templates beside a flow, and what they render to.

``<name>.receipt`` is a line-based layout for thermal printers: each line is
a template, optionally led by directives (``@center``, ``@big``, ``@huge``,
``@bold``, ``@qr``, ``@feed N``, ``@cut``). ``<name>.html`` is an A4 page
rendered to PDF by the document renderer.

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
from kiosk.expr import ExprError, Scope, Template, compile_template
from kiosk.flow.problems import Problem

MAX_TEMPLATE = 200_000
DIRECTIVE = re.compile(r"^@(center|right|big|huge|bold|qr|feed|cut)\b\s*(.*)$")
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
    lines: list[tuple[tuple[str, ...], Template]] = field(default_factory=list)  # receipt
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
        elements = []
        for directives, tmpl in self.lines:
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
        receipt = Receipt(tuple(elements), job_id=number)
        return Document(self.name, self.printer, number, receipt.plain_text(), receipt=receipt)


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

    def compile_at(src: str, line: int, col: int) -> Template | None:
        try:
            compiled = compile_template(src, scope)
            tmpl.spans.append((line, col, compiled))
            return compiled
        except ExprError as exc:
            before = src[: exc.offset]
            l2 = line + before.count("\n")
            c2 = (len(before) - before.rfind("\n")) if "\n" in before else col + exc.offset
            hint = f" (did you mean {exc.suggestion!r}?)" if exc.suggestion else ""
            problems.append(Problem(str(path), l2, c2, exc.rule, exc.message + hint))
            return None

    if kind == "html":
        tmpl.page = compile_at(source, 1, 1)
    else:
        for n, line in enumerate(source.splitlines(), start=1):
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
            t = compile_at(rest, n, col)
            if t is not None:
                tmpl.lines.append((tuple(directives), t))
    return (tmpl if not problems else None), problems


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
