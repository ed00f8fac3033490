"""Document templates beside a flow, and what they render to.

``<name>.receipt`` is a line-based layout for thermal printers: each line is
a template, optionally led by directives (``@center``, ``@big``, ``@huge``,
``@bold``, ``@qr``, ``@feed N``, ``@cut``). ``<name>.html`` is an A4 page
rendered to PDF by the document renderer. Interpolated personal values are
masked unless the template wraps them in ``reveal(...)``.
"""
from __future__ import annotations

import html
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

    @property
    def printer(self) -> str:
        return "receipt_printer" if self.kind == "receipt" else "document_printer"

    def render(self, context: dict, number: str) -> Document:
        if self.kind == "receipt":
            return self._render_receipt(context, number)
        assert self.page is not None
        page = self.page.render(context, show=_show_html)  # <qr-code data=...> is drawn by the PDF renderer
        text = re.sub(r"\s+\n", "\n", html.unescape(re.sub(r"<[^>]+>", " ", page)))
        text = "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())
        return Document(self.name, self.printer, number, text, html=page)

    def _render_receipt(self, context: dict, number: str) -> Document:
        elements = []
        for directives, tmpl in self.lines:
            value = tmpl.render(context, show=privacy.show)
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


def _show_html(value, priv, source):
    return html.escape(privacy.show(value, priv, source))


def load_template(path: Path, scope: Scope) -> tuple[DocumentTemplate | None, list[Problem]]:
    name, kind = path.name.split(".", 1)[0], ("receipt" if path.suffix == ".receipt" else "html")
    try:
        raw = path.read_bytes()
        if len(raw) > MAX_TEMPLATE:
            return None, [Problem(str(path), 1, 1, "tmpl/too-large", f"template over {MAX_TEMPLATE} bytes")]
        source = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(str(path), 1, 1, "tmpl/unreadable", str(exc))]
    tmpl = DocumentTemplate(name, kind, str(path))
    problems: list[Problem] = []

    def compile_at(src: str, line: int, col: int) -> Template | None:
        try:
            return compile_template(src, scope)
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


def template_files(folder: Path) -> dict[str, Path]:
    return {p.name.split(".", 1)[0]: p for p in sorted(folder.iterdir())
            if p.is_file() and (p.suffix == ".receipt" or p.suffix == ".html")}
