"""Verification codes cannot be guessed, and a fallback slip names the certificate it stands in for."""
import re
import shutil
from pathlib import Path

import pytest

from kiosk.engine import verify_code
from kiosk.engine.clock import VirtualClock
from kiosk.engine.ops import OpExecutor
from kiosk.engine.runner import SessionRunner
from kiosk.engine.session import Session
from kiosk.flow.bundle import load_bundle
from kiosk.scenario.twins import make_card, open_devices
from tests.kiosk_kit import settle

FLOWS = Path(__file__).resolve().parents[2] / "flows"
KIOSK = {"id": "K1", "verify_url": "https://verify.example.gov.cn/d/{code}"}
CODE = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{5}")  # 13 x 5 bits = 65 bits
SOCIAL = {"record": {"insured_since": "2001-01-01", "months": 300, "unit": "示例单位", "status": "正常参保"}}
POLICE = {"certificate": {"number": "GA2026-000124", "verify_code": "8J2L4P6R",
                          "verify_url": "https://verify.example.gov.cn/c/8J2L4P6R", "valid_until": "2026-06-02"}}


@pytest.fixture(scope="module")
def bundle():
    b = load_bundle(FLOWS)
    assert b.ok, b.problems
    return b


class Backend:
    def __init__(self, reply):
        self.reply = reply

    async def call(self, ref, request, *, timeout, idempotency_key=None):
        return "ok", self.reply, ""


class Recording(OpExecutor):
    """Every print the session asked for, printed or not: (printer, document)."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.asked = []

    async def run(self, op):
        if op.name == "print":
            self.asked.append((op.target, op.args["document"]))
        return await super().run(op)


async def visit(bundle, flow, reply, actions, *, session_id="s-0001-abcdef", faults=()):
    clock = VirtualClock()
    devices = await open_devices()
    for role, fault in faults:
        devices[role].inject(fault)
    session = Session(bundle.flows, flow, session_id=session_id, kiosk=KIOSK, clock=clock.monotonic,
                      wallclock=clock.wallclock)
    executor = Recording(devices, Backend(reply))
    runner = SessionRunner(session, executor, clock)
    runner.start()
    devices["id_reader"].insert_card(make_card({}))
    await settle()
    docs = []
    for kind, value in actions:
        runner.act(kind, value)
        await settle()
        if session.vars["doc"]:
            docs.append(dict(session.vars["doc"]))
    return runner, executor, docs


SOCIAL_PRINT = [("agree", None), ("choose", "print")]


async def test_a_code_is_65_random_bits_in_a_readable_alphabet_not_derived_from_the_number(bundle):
    seen = {}
    for i in range(3):
        _, executor, docs = await visit(bundle, "social-security-certificate", SOCIAL, SOCIAL_PRINT,
                                        session_id=f"s-000{i}-abcdef")
        doc = docs[-1]
        assert CODE.fullmatch(doc["verify_code"]), doc["verify_code"]
        assert doc["verify_code"].replace("-", "") not in doc["number"].upper().replace("-", "")
        assert doc["verify_url"] == f"https://verify.example.gov.cn/d/{doc['verify_code']}"
        (printed,) = executor.printed
        assert doc["verify_code"] in printed.text and printed.number == doc["number"]
        seen[doc["number"]] = doc["verify_code"]
    assert len(set(seen.values())) == 3  # three documents, three unrelated codes


def test_codes_come_from_the_os_csprng(monkeypatch):
    drawn = []

    def choice(alphabet):
        drawn.append(alphabet)
        return alphabet[len(drawn) % len(alphabet)]

    monkeypatch.setattr(verify_code.secrets, "choice", choice)
    code = verify_code.new_code()
    assert drawn == [verify_code.ALPHABET] * 13 and code == "1234-5678-9ABCD"
    assert len(set(verify_code.ALPHABET)) == 32 and not set("ILOU") & set(verify_code.ALPHABET)


async def test_the_backend_code_is_printed_when_the_backend_gives_one(bundle):
    actions = [("agree", None), ("choose", "other"), ("submit", {"phone": "13900000000"}), ("choose", "print")]
    _, executor, docs = await visit(bundle, "no-criminal-record", POLICE, actions)
    assert docs[-1]["verify_code"] == "8J2L4P6R"
    assert docs[-1]["verify_url"] == "https://verify.example.gov.cn/d/8J2L4P6R"


@pytest.mark.parametrize("bad", ["", "a b", "x" * 65, "../../etc", 12345678])
def test_a_backend_code_a_url_cannot_carry_is_replaced_by_a_minted_one(bad):
    assert verify_code.backend_code({"verify_code": bad}) is None
    assert verify_code.backend_code({}) is None


async def test_a_fallback_slip_carries_the_number_and_code_of_the_certificate_it_replaces(bundle):
    actions = [("agree", None), ("choose", "other"), ("submit", {"phone": "13900000000"}), ("choose", "print"),
               ("choose", "slip")]
    runner, executor, docs = await visit(bundle, "no-criminal-record", POLICE, actions,
                                         faults=[("document_printer", "paper_out")])
    assert runner.view.step == "take_slip"
    (certificate, cert_doc), (slip_printer, slip_doc) = executor.asked
    assert (certificate, slip_printer) == ("document_printer", "receipt_printer")
    assert slip_doc.number == cert_doc.number  # the same document, not a new one nobody issued
    assert executor.printed == [slip_doc]  # and the journal lists it once
    assert docs[-1]["verify_code"] == "8J2L4P6R" and "8J2L4P6R" in slip_doc.text
    assert cert_doc.number in slip_doc.text


async def test_a_kiosk_minted_code_is_kept_by_the_fallback_too(tmp_path):
    """Without a backend code the kiosk mints one, and the slip must carry that one, not a second."""
    shutil.copytree(FLOWS, tmp_path / "flows")
    flow = tmp_path / "flows" / "no-criminal-record" / "flow.yaml"
    text = flow.read_text()
    optional = text.replace("verify_code: {path: certificate.verify_code, type: string}",
                            "verify_code: {path: certificate.verify_code, type: string, required: false}")
    assert optional != text
    flow.write_text(optional)
    for name in ("certificate.html", "code_slip.receipt"):  # the documents print the code the kiosk holds
        template = flow.parent / name
        template.write_text(template.read_text().replace("data.verify_", "doc.verify_"))
    bundle = load_bundle(tmp_path / "flows")
    assert bundle.ok, bundle.problems
    reply = {"certificate": {k: v for k, v in POLICE["certificate"].items() if k != "verify_code"}}
    actions = [("agree", None), ("choose", "other"), ("submit", {"phone": "13900000000"}), ("choose", "print"),
               ("choose", "slip")]
    _, executor, docs = await visit(bundle, "no-criminal-record", reply, actions,
                                    faults=[("document_printer", "paper_out")])
    (_, cert_doc), (_, slip_doc) = executor.asked
    assert slip_doc.number == cert_doc.number
    (code,) = {d["verify_code"] for d in docs}
    assert CODE.fullmatch(code) and code in cert_doc.text and code in slip_doc.text


async def test_a_second_document_after_a_printed_one_gets_its_own_number(bundle):
    """Only a print that did not come out is replaced: printed documents are never renumbered onto another."""
    _, first, docs1 = await visit(bundle, "social-security-certificate", SOCIAL, SOCIAL_PRINT)
    _, second, docs2 = await visit(bundle, "social-security-certificate", SOCIAL, SOCIAL_PRINT,
                                   session_id="s-0002-abcdef")
    assert first.printed[0].number != second.printed[0].number
    assert docs1[-1]["verify_code"] != docs2[-1]["verify_code"]
