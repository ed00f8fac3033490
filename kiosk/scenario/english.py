"""English all the way: a view drawn for an English reader must not carry Chinese it did not mean to.

A backend's code value (正常参保) that no code table translated, a flow text
without its English, a runtime word missing from a table: each would show
Chinese characters on an English screen. Proper nouns are allowed where
they are the kiosk's own (its name and hall), listed by the caller (the
citizen's card values), or a personal value shown masked (示例市示例***):
a citizen's employer or address is theirs, in their language.
"""
from __future__ import annotations

import re

# CJK ideographs (with extension A and the compatibility block), CJK punctuation and full-width forms
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff60]+")
# A personal value as screens show it (示例市示例***, 王*): the citizen's own proper noun, never translated
MASKED = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+\*+")


def parts(view) -> list[tuple[str, str]]:
    """(where, text) of everything a citizen can read on the view, named as a flow author would look it up."""
    out = [("flow title", view.flow_title), ("title", view.title), ("text", view.text), ("consent", view.consent),
           ("status", view.status)]
    out += [(f"option {o.id}", o.label) for o in view.options]
    for f in view.fields:
        out += [(f"field {f.name} label", f.label), (f"field {f.name} help", f.help),
                (f"field {f.name} error", f.error)]
        out += [(f"field {f.name} choice {c.id}", c.label) for c in f.choices]
    for j, item in enumerate(view.items):
        out += [(f"item {j + 1} label", item.label), (f"item {j + 1} value ({item.label})", item.value)]
    if view.ending is not None:
        out += [("ending title", view.ending.title), ("ending thanks", view.ending.thanks),
                ("ending reason", view.ending.reason)]
        out += [("ending take", t) for t in view.ending.take_texts] + [("ending note", n) for n in view.ending.notes]
    return [(where, text) for where, text in out if text]


def untranslated(view, allowed: set[str] = frozenset()) -> list[tuple[str, str, str]]:
    """(where, the Chinese found, the whole text) for each part of `view` with Chinese beyond `allowed`."""
    found = []
    for where, text in parts(view):
        rest = MASKED.sub(" ", text)
        for noun in sorted(allowed, key=len, reverse=True):
            if noun:
                rest = rest.replace(noun, " ")
        hit = CJK.search(rest)
        if hit:
            found.append((where, hit.group(0), text))
    return found
