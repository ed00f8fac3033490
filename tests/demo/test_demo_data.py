"""Demo data as data: a new item answers in the demo from its own demo.yaml, with no Python to edit."""
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import aiohttp
import pytest

from devices.id_reader.sample_cards import LI_SI, WANG_XIAOWU, ZHANG_SAN
from kiosk.backend.http import HttpServices
from kiosk.config import ServiceConfig
from kiosk.demo import backend as demo_backend
from kiosk.flow.bundle import check_paths, load_bundle
from kiosk.flow.registry import FlowRegistry

ROOT = Path(__file__).resolve().parents[2]

LIBRARY_SERVICE = """
  library:
    description: City library (市图书馆)
    operations:
      loans: {method: POST, path: /library/loans, idempotent: true, personal: [id_number]}
      opening: {method: GET, path: /library/opening, idempotent: true}
"""

LIBRARY_FLOW = """\
format: 2
id: library-loans
version: 1.0.0
title: {zh-CN: 图书借阅查询, en: Library loans}
category: library
requires: [id_reader]
on_error: sorry
steps:
  - id: read_card
    kind: read_id_card
    title: {zh-CN: 请刷身份证, en: Place your ID card on the reader}
    timeout_s: 60
    next: {ok: query, timeout: done, unreadable: sorry}
  - id: query
    kind: call
    call: library.loans
    title: {zh-CN: 正在查询, en: Looking up}
    request: {id_number: "{{ id.id_number }}"}
    timeout_s: 8
    result:
      books: {path: loans.count, type: int}
    errors: {not_found: sorry}
    next: {ok: show, sorry: sorry, timeout: sorry, unavailable: sorry}
  - id: show
    kind: show_result
    title: {zh-CN: 借阅, en: Loans}
    items:
      - label: {zh-CN: 在借, en: On loan}
        value: "{{ string(data.books) }}"
    next: done
  - id: sorry
    kind: notice
    title: {zh-CN: 抱歉, en: Sorry}
    next: done
  - id: done
    kind: end
"""

LIBRARY_DEMO = """\
format: 1
operations:
  library.loans:
    citizens:
      zhang_san: {ok: true, data: {loans: {count: 3}}}
      "110105195506120022": {ok: true, data: {loans: {count: 0}}}
      wang_xiaowu: {ok: false, error: {code: card_blocked}}
      foreign_2017: {fail: unavailable}
      foreign_2023: {fail: garbage}
      chen_hmt: {ok: true, data: {loans: {count: 1}}, delay_s: 600}
  library.opening:
    others: {ok: true, data: {hours: "09:00-21:00"}}
"""


@pytest.fixture
def bundle(tmp_path):
    """The shipped bundle plus one new item, written as data only: services.yaml, flow.yaml, demo.yaml."""
    root = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", root)
    with (root / "services.yaml").open("a") as f:
        f.write(LIBRARY_SERVICE)
    (root / "library-loans").mkdir()
    (root / "library-loans" / "flow.yaml").write_text(LIBRARY_FLOW)
    (root / "library-loans" / "demo.yaml").write_text(LIBRARY_DEMO)
    return root


@pytest.fixture
async def serve():
    runners = []

    async def start(flows):
        backend, runner, port = await demo_backend.start("127.0.0.1", 0, flows)
        runners.append(runner)
        return backend, f"http://127.0.0.1:{port}"

    yield start
    for runner in runners:
        await runner.cleanup()


def kiosk_services(flows: Path, url: str) -> HttpServices:
    """The kiosk's own HTTP client, so an answer counts only if a kiosk would accept it."""
    catalog = load_bundle(flows).catalog
    return HttpServices(catalog, {name: ServiceConfig(base_url=url, timeout_s=5) for name in catalog.services})


async def test_a_new_item_answers_from_its_demo_file_over_http(bundle, serve):
    assert check_paths([bundle]) == ([], 8)  # the new item and its demo file lint clean
    backend, url = await serve(bundle)
    assert backend.problems == []
    services = kiosk_services(bundle, url)
    try:
        assert await services.call("library.loans", {"id_number": ZHANG_SAN.id_number}, timeout=5) == \
            ("ok", {"loans": {"count": 3}}, "")
        assert (await services.call("library.loans", {"id_number": LI_SI.id_number}, timeout=5))[1] == \
            {"loans": {"count": 0}}  # keyed by ID number instead of card name
        assert (await services.call("library.loans", {"id_number": WANG_XIAOWU.id_number}, timeout=5))[:2] == \
            ("backend_error", {"code": "card_blocked"})
        assert (await services.call("library.loans", {"id_number": "110105200001010011"}, timeout=5))[:2] == \
            ("backend_error", {"code": "not_found"})  # anyone not listed
        assert await services.call("library.opening", {}, timeout=5) == ("ok", {"hours": "09:00-21:00"}, "")
        # the shipped items still answer beside it
        assert (await services.call("housing_fund.account", {"id_number": ZHANG_SAN.id_number}, timeout=5))[0] == "ok"
    finally:
        await services.close()


async def test_a_reply_can_fail_or_come_too_late(bundle, serve):
    from devices.id_reader.sample_cards import CHEN_HMT, SAMPLE_FOREIGN_2017, SAMPLE_FOREIGN_2023

    _, url = await serve(bundle)
    services = kiosk_services(bundle, url)
    try:
        call = services.call
        assert (await call("library.loans", {"id_number": SAMPLE_FOREIGN_2017.id_number}, timeout=5))[0] == "unavailable"
        assert (await call("library.loans", {"id_number": SAMPLE_FOREIGN_2023.id_number}, timeout=5))[0] == "error"
        assert (await call("library.loans", {"id_number": CHEN_HMT.id_number}, timeout=0.3))[0] == "timeout"
    finally:
        await services.close()


async def test_the_shipped_demo_answers_every_operation_the_shipped_flows_call(serve):
    backend, url = await serve(ROOT / "flows")
    assert backend.problems == []
    called = {s.call for cf in load_bundle(ROOT / "flows").flows.values() for s in cf.flow.steps if s.kind == "call"}
    assert called and called <= set(backend.data.operations)
    async with aiohttp.ClientSession() as http:  # a citizen with three properties, for the lists in screens
        async with http.post(url + "/real-estate/records", json={"id_number": ZHANG_SAN.id_number}) as r:
            records = (await r.json())["data"]["records"]
    assert len(records) >= 3


BROKEN = """\
format: 1
operations:
  housing_fund.account:
    citizens:
      zhang_san: {ok: true, dta: {}}
"""


async def test_a_malformed_demo_file_is_one_located_error_and_the_others_still_answer(bundle, serve):
    broken = bundle / "housing-fund-query" / "demo.yaml"
    broken.write_text(BROKEN)
    backend, url = await serve(bundle)
    (problem,) = backend.problems
    assert str(problem) == (f"{broken}:5:29: error[schema/extra-forbidden]: operations.housing_fund.account.citizens."
                            "zhang_san.dta: unknown field 'dta' (did you mean 'data'?)")
    async with aiohttp.ClientSession() as http:
        async with http.post(url + "/library/loans", json={"id_number": ZHANG_SAN.id_number}) as r:
            assert (await r.json())["data"] == {"loans": {"count": 3}}
        async with http.post(url + "/medical-insurance/info", json={"id_number": ZHANG_SAN.id_number}) as r:
            assert (await r.json())["ok"]
        async with http.post(url + "/housing-fund/account", json={"id_number": ZHANG_SAN.id_number}) as r:
            assert r.status == 404  # the broken file's operation is not served at all, never half


def test_the_linter_reports_an_unknown_operation_with_did_you_mean(bundle):
    demo = bundle / "library-loans" / "demo.yaml"
    demo.write_text(LIBRARY_DEMO.replace("library.loans:", "library.laons:"))
    (p,) = check_paths([bundle])[0]
    assert (p.file, p.line, p.col, p.rule) == (str(demo), 3, 3, "ref/unknown-operation")
    assert p.message == "service 'library' has no operation 'laons' (did you mean 'loans'?); known: loans, opening"
    assert check_paths([demo])[0] == [p]  # the file named alone, against its bundle's services.yaml


def test_the_linter_reports_a_reply_outside_the_envelope_without_the_id_number(bundle):
    demo = bundle / "library-loans" / "demo.yaml"
    demo.write_text(LIBRARY_DEMO.replace("{ok: true, data: {loans: {count: 0}}}", "{ok: true, error: {code: x}}"))
    (p,) = check_paths([bundle])[0]
    assert (p.line, p.col, p.rule) == (6, 29, "demo/envelope")
    assert "ok reply without a data object" in p.message
    assert LI_SI.id_number not in str(p) + p.path  # problems reach the demo backend's log


def test_an_operation_answered_twice_and_an_unknown_citizen(bundle):
    twice = bundle / "one-thing" / "demo.yaml"
    twice.write_text("format: 1\noperations:\n  library.opening:\n    citizens:\n      zhang_sna: {ok: true, data: {}}\n")
    problems = check_paths([bundle])[0]
    assert [(p.file, p.line, p.col, p.rule) for p in problems] == [
        (str(twice), 3, 3, "demo/duplicate-operation"), (str(twice), 5, 7, "demo/unknown-citizen")]
    assert "(did you mean 'zhang_san'?)" in problems[1].message


def test_demo_files_are_neither_required_nor_read_by_a_kiosk(bundle):
    for demo in bundle.glob("*/demo.yaml"):
        demo.unlink()
    assert check_paths([bundle]) == ([], 8)  # no demo data: nothing to say
    (bundle / "library-loans" / "demo.yaml").write_text("format: 1\noperations: [\n")  # broken
    assert load_bundle(bundle).problems == []
    code = textwrap.dedent(f"""
        import sys
        opened = []
        sys.addaudithook(lambda ev, args: opened.append(str(args[0])) if ev == "open" else None)
        import kiosk.runtime
        from kiosk.flow.registry import FlowRegistry
        registry = FlowRegistry({str(bundle)!r})
        assert registry.reload() and "library-loans" in registry.flows
        flows = sum(p.endswith("flow.yaml") for p in opened)  # the hook sees what the kiosk reads
        print(flows > 0, [p for p in opened if p.endswith("demo.yaml")],
              sorted(m for m in sys.modules if m.startswith("kiosk.demo")))
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "True [] []"
    assert FlowRegistry(bundle).reload()


async def test_a_citizen_named_beside_services_yaml_answers_in_every_item(bundle, serve):
    (bundle / "demo.yaml").write_text('format: 1\ncitizens:\n  zhao_liu: "110105198001010035"\n')
    demo = bundle / "library-loans" / "demo.yaml"
    demo.write_text(LIBRARY_DEMO.replace("zhang_san:", "zhao_liu:"))
    assert check_paths([bundle]) == ([], 8)
    _, url = await serve(bundle)
    async with aiohttp.ClientSession() as http:
        async with http.post(url + "/library/loans", json={"id_number": "110105198001010035"}) as r:
            assert (await r.json())["data"] == {"loans": {"count": 3}}
    demo.write_text('format: 1\ncitizens:\n  zhao_liu: "110105198001010035"\n')
    assert [(p.line, p.col, p.rule) for p in check_paths([bundle])[0]] == [(3, 3, "demo/shared-citizens")]


def test_the_demo_points_a_service_the_configuration_does_not_name_at_its_backend(monkeypatch, bundle):
    from kiosk import config
    from kiosk.demo.settings import demo_config

    monkeypatch.setenv("KIOSK_DEMO_JOURNAL_KEY", "")
    cfg = config.load(ROOT / "etc" / "demo.toml")
    assert "library" not in cfg.services
    demo = demo_config(cfg, "http://127.0.0.1:9", load_bundle(bundle).catalog.services)
    assert demo.services["library"].base_url == "http://127.0.0.1:9"
    assert demo.services["social_security"].timeout_s == cfg.services["social_security"].timeout_s
