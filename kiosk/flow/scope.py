"""The variables a flow's expressions may read, with their types and privacy.

Built from the flow itself (form fields, call results) plus the fixed
namespaces the runtime fills (id card, kiosk, session). An expression that
names anything else fails at load with a did-you-mean.
"""
from __future__ import annotations

from kiosk.expr import ExprType, Mask, Privacy, Scope, Var
from kiosk.expr.codes import CodeTable
from kiosk.flow import model

PRIVACY = {
    model.PrivacyClass.PUBLIC: Privacy.PUBLIC,
    model.PrivacyClass.PERSONAL: Privacy.PERSONAL,
    model.PrivacyClass.IDENTIFIER: Privacy.IDENTIFIER,
    model.PrivacyClass.BIOMETRIC: Privacy.BIOMETRIC,
}
P, PE, ID = Privacy.PUBLIC, Privacy.PERSONAL, Privacy.IDENTIFIER
S, D, I = ExprType.STRING, ExprType.DATE, ExprType.INT

ID_CARD = {
    "name": Var(S, PE, "name as on the card", Mask.NAME),
    "english_name": Var(S, PE, "", Mask.NAME),
    "gender": Var(S, PE, "男 or 女", Mask.HIDE),  # one character: any partial form is the whole
    "nation": Var(S, PE, "ethnic group or nationality", Mask.HIDE),
    "birth_date": Var(D, PE),
    "address": Var(S, PE, "", Mask.TEXT),
    "id_number": Var(S, ID, "18-character ID number", Mask.ID),
    "authority": Var(S, P, "issuing authority"),
    "valid_from": Var(D, P),
    "valid_to": Var(D, P, "null when the card never expires"),
    "card_type": Var(S, P, "resident, hmt_residence or foreign_permanent"),
}

FIELD_TYPES = {model.FieldType.DATE: D}
# The masked form of a personal form field, by what it holds; other kinds (digits, dates, choices) have none.
FIELD_MASKS = {model.FieldType.NAME: Mask.NAME, model.FieldType.ADDRESS: Mask.TEXT, model.FieldType.TEXT: Mask.TEXT,
               model.FieldType.ID_NUMBER: Mask.ID, model.FieldType.PHONE: Mask.ID}
RESULT_TYPES = {"string": S, "int": I, "number": ExprType.NUMBER, "bool": ExprType.BOOL, "date": D,
                "list": ExprType.LIST, "map": ExprType.MAP}


def code_table(catalog: model.Catalog | None, ref: tuple[str, str] | None, tables: dict) -> CodeTable | None:
    """The table a result field names, one instance per bundle load (so an unknown code is logged once); None if undeclared."""
    if ref is None or catalog is None:
        return None
    if ref not in tables:
        service = catalog.services.get(ref[0])
        texts = service.codes.get(ref[1]) if service else None
        tables[ref] = None if texts is None else CodeTable(".".join(ref), {k: dict(v) for k, v in texts.items()})
    return tables[ref]


def result_var(r: model.ResultField, floor: Privacy, codes: CodeTable | None = None) -> Var | dict:
    """A declared result: a map with fields is a namespace, a list carries its item fields; privacy only rises."""
    privacy = max(PRIVACY[r.privacy], floor)
    if r.type == "map" and r.fields:
        return {k: result_var(f, privacy) for k, f in r.fields.items()}
    items = {k: result_var(f, privacy) for k, f in r.items.items()} if r.type == "list" and r.items else None
    return Var(RESULT_TYPES[r.type], privacy, codes=codes, items=items)


def flow_scope(flows: list[model.Flow], catalog: model.Catalog | None = None, tables: dict | None = None) -> Scope:
    """One scope for a flow and everything it can run as a subflow: a visit shares its data.

    ``tables`` caches code tables across the flows of one bundle load.
    """
    tables = {} if tables is None else tables
    form: dict = {}
    data: dict = {}
    scan_privacy = Privacy.PUBLIC
    bundle: dict = {}
    for flow in flows:
        for step in flow.steps:
            if step.kind == "subflow":
                bundle[step.id] = Var(S, Privacy.PUBLIC, "how this bundled item ended: completed, cancelled or "
                                      "failed; null until it has run")
            if step.kind == "form":
                for f in step.fields:
                    form[f.name] = Var(FIELD_TYPES.get(f.type, S), PRIVACY[f.privacy], "",
                                       FIELD_MASKS.get(f.type, Mask.HIDE))
            elif step.kind == "choice":
                form[step.id] = Var(S, Privacy.PUBLIC, "the option id chosen on this step")
            elif step.kind == "call":
                for name, r in step.result.items():
                    data[name] = result_var(r, Privacy.PUBLIC, code_table(catalog, r.code_table(step.call), tables))
            elif step.kind == "scan_code":
                scan_privacy = max(scan_privacy, PRIVACY[step.privacy])
    return Scope({
        "id": dict(ID_CARD),
        "form": form,
        "data": data,
        "scan": {"code": Var(S, scan_privacy)},
        "bundle": bundle,
        "ticket": {"number": Var(S), "waiting_ahead": Var(I), "category": Var(S)},
        "doc": {"number": Var(S, P, "number of the document being printed"),
                "verify_code": Var(S, P), "verify_url": Var(S, P)},
        "kiosk": {"id": Var(S), "name": Var(S), "hall": Var(S)},
        "session": {"id": Var(S), "elderly": Var(ExprType.BOOL)},
        "locale": Var(S, P, "zh-CN or en"),
        "now": Var(D, P, "today's date"),
        "time": Var(S, P, "the local time, HH:MM"),
    })
