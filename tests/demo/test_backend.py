"""The demo backend speaks the kiosk's envelope and fails on demand."""
import aiohttp
import pytest

from devices.id_reader.sample_cards import LI_SI, WANG_XIAOWU
from kiosk.demo import backend as demo_backend


@pytest.fixture
async def backend():
    b, runner, port = await demo_backend.start("127.0.0.1", 0)
    async with aiohttp.ClientSession() as http:
        yield b, http, f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_records_and_not_found(backend):
    _, http, url = backend
    async with http.post(url + "/social-security/certificate", json={"id_number": LI_SI.id_number}) as r:
        body = await r.json()
    assert body["ok"] and body["data"]["record"]["status"] == "正常参保"
    for path in ("/medical-insurance/info", "/housing-fund/account", "/real-estate/records", "/police/no-criminal-record"):
        async with http.post(url + path, json={"id_number": LI_SI.id_number}) as r:
            assert (await r.json())["ok"], path
    async with http.post(url + "/social-security/certificate", json={"id_number": WANG_XIAOWU.id_number}) as r:
        assert (await r.json())["error"]["code"] == "not_found"


async def test_failure_injection(backend):
    b, http, url = backend
    await http.post(url + "/_control", json={"fail": "unavailable"})
    async with http.post(url + "/social-security/certificate", json={"id_number": LI_SI.id_number}) as r:
        assert r.status == 503
    await http.post(url + "/_control", json={})
    async with http.post(url + "/social-security/certificate", json={"bad": 1}) as r:
        assert r.status == 400
