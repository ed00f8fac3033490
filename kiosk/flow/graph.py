"""Diagrams of a flow: Mermaid for docs and reviews, DOT when fidelity matters."""
from __future__ import annotations

from kiosk.flow import model
from kiosk.flow.outcomes import next_map
from kiosk.i18n import pick

SHAPES = {"end": ("([", "])"), "branch": ("{", "}"), "call": ("[[", "]]"), "subflow": ("[[", "]]")}


def edges(flow: model.Flow) -> list[tuple[str, str, str]]:
    out = []
    for step in flow.steps:
        for outcome, target in next_map(step).items():
            out.append((step.id, target, outcome))
        if step.kind == "branch":
            out += [(step.id, c.next, f"when {c.when}") for c in step.cases] + [(step.id, step.default, "else")]
    if flow.on_error:
        out.append(("*", flow.on_error, "error"))
    return out


def mermaid(flow: model.Flow, locale: str = "zh-CN") -> str:
    lines = ["flowchart TD"]
    for step in flow.steps:
        label = f"{step.id}<br/>{step.kind}"
        title = pick(step.title, locale)
        if title:
            label += f"<br/>{title}"
        open_, close = SHAPES.get(step.kind, ("[", "]"))
        lines.append(f'    {step.id}{open_}"{_esc(label)}"{close}')
    if flow.on_error:
        lines.append('    any(("any error"))')
    for src, dst, label in edges(flow):
        lines.append(f'    {"any" if src == "*" else src} -->|"{_esc(label)}"| {dst}')
    return "\n".join(lines) + "\n"


def dot(flow: model.Flow, locale: str = "zh-CN") -> str:
    lines = [f'digraph "{flow.id}" {{', "  rankdir=TB;", '  node [fontname="Noto Sans CJK SC"];']
    shapes = {"end": "doublecircle", "branch": "diamond", "call": "box3d", "subflow": "component"}
    for step in flow.steps:
        title = pick(step.title, locale)
        label = f"{step.id}\\n{step.kind}" + (f"\\n{title}" if title else "")
        lines.append(f'  "{step.id}" [shape={shapes.get(step.kind, "box")}, label="{_dq(label)}"];')
    for src, dst, label in edges(flow):
        lines.append(f'  "{src}" -> "{dst}" [label="{_dq(label)}"];')
    return "\n".join(lines) + "\n}\n"


def _esc(s: str) -> str:
    return s.replace('"', "#quot;")


def _dq(s: str) -> str:
    return s.replace('"', '\\"')
