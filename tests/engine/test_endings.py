"""Endings that say what happened, the ways on from a failure, and the rating, on the shipped flows and twins."""
import asyncio
import datetime as dt
import json

import pytest
import structlog

from kiosk.engine.aftercare_policy import AftercarePolicy, CounterHours
from kiosk.engine.offers import dead_end_offers
from kiosk.journal import Journal
from kiosk.scenario.twins import make_card
from tests.kiosk_kit import settle, shipped_kiosk

NAME, ID_NUMBER = "欧阳示例", "110105196005010014"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


class Events(list):
    def of(self, kind):
        return [e for e in self if e.KIND == kind]


@pytest.fixture
async def kiosk(tmp_path):
    events = Events()
    c, devices, clock = await shipped_kiosk(tmp_path, aftercare=AftercarePolicy(),
                                            journal=Journal(tmp_path / "journal.db", key=bytes(range(32))))
    c.subscribe_events(events.append)
    return c, devices, clock, events


async def read_card(c, devices):
    devices["id_reader"].insert_card(make_card({"name": NAME, "id_number": ID_NUMBER}))
    await settle()


async def fail_social_security(c, devices):
    """The backend is unavailable (tests.kiosk_kit.NoBackend): the visit ends failed after the sorry notice."""
    assert c.start("social-security-certificate")
    await read_card(c, devices)
    c.act("agree")
    await settle()
    for _ in range(5):  # the call retries once, then apologises
        if c.state.view.step == "sorry":
            break
        c.clock.fire_next(c.clock.now + 5)
        await settle()
    assert c.state.view.step == "sorry"
    c.act("ok")
    await settle()


async def test_a_completed_visit_says_so_and_names_what_to_take(kiosk):
    c, devices, clock, _ = kiosk
    assert c.start("queue-ticket")
    c.act("choose", "social")
    await settle()
    c.act("ok")
    await settle()
    v = c.state.view
    assert v.kind == "rating" and v.ending.outcome == "completed" and v.ending.look == "success"
    assert v.ending.take == ("ticket",) and v.ending.take_texts == ("请取走排队号票",)
    ended = c.after.session.ending
    assert ended.title("zh-CN") == "办理完成" and ended.thanks("zh-CN") == "谢谢，祝您办事顺利"  # the flow's own words


async def test_a_cancelled_visit_says_so_and_reminds_of_the_card(kiosk):
    c, devices, clock, _ = kiosk
    c.set_locale("en")
    assert c.start("social-security-certificate")
    await read_card(c, devices)
    c.act("cancel")
    v = c.state.view
    assert v.ending.outcome == "cancelled" and v.ending.look == "neutral"
    assert v.ending.take_texts == ("Take your ID card",) and c.after.session.ending.title("en") == "Cancelled"


async def test_a_visit_nobody_finished_ends_as_timed_out(kiosk):
    c, devices, clock, _ = kiosk
    assert c.start("queue-ticket")
    for _ in range(3):  # the idle timeout, then its warning, run out
        clock.fire_next(clock.now + 120)
        await settle()
    v = c.state.view
    assert v.ending.outcome == "timeout" and c.after.session.ending.title("zh-CN") == "长时间无操作，本次办理已结束"


async def test_a_failed_visit_says_why_and_offers_the_ways_on_in_order(kiosk):
    c, devices, clock, _ = kiosk
    await fail_social_security(c, devices)
    v = c.state.view
    assert v.kind == "ending" and v.ending.outcome == "failed" and v.ending.look == "problem"
    assert v.title == "抱歉，本次未能办成" and v.ending.reason == "原因：业务系统暂时无法访问"
    assert [o.id for o in v.options] == ["video_help", "referral", "callback", "hotline", "rate"]
    assert all(o.enabled for o in v.options)  # Monday 09:30, every device fitted, a fleet link


async def test_each_ending_looks_different():
    from kiosk.engine.endings import LOOKS
    assert len(set(LOOKS.values())) == 3 and LOOKS["completed"] != LOOKS["failed"]


# ------------------------------------------------------------------ offers by hour and device
def statuses(devices):
    return {role: dev.status for role, dev in devices.items()}


async def test_offers_follow_the_counters_hours(kiosk):
    c, devices, clock, _ = kiosk
    policy = AftercarePolicy(counter=CounterHours(start="08:30", end="17:30"))
    night = dt.datetime(2026, 3, 2, 21, 0, tzinfo=SHANGHAI)
    referral = dead_end_offers(policy, statuses(devices), night, link=True)[1]
    assert not referral.available and referral.note_text("zh-CN") == "人工窗口 08:30–17:30 开放，现已关闭"
    sunday = dt.datetime(2026, 3, 8, 10, 0, tzinfo=SHANGHAI)
    assert dead_end_offers(policy, statuses(devices), sunday, link=True)[1].note_text("en") == \
        "The staffed counter is closed today"
    day = dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
    assert dead_end_offers(policy, statuses(devices), day, link=True)[1].available


async def test_offers_follow_the_devices_and_the_link(kiosk):
    c, devices, clock, _ = kiosk
    day = dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
    devices["help_panel"].inject("unplug")
    devices["ticket_dispenser"].inject("paper_out")
    video, referral, callback, hotline = dead_end_offers(AftercarePolicy(), statuses(devices), day, link=False)
    assert not video.available and video.note_text("zh-CN") == "视频求助暂不可用"
    assert referral.available and not referral.with_ticket  # a slip without a number
    assert not callback.available and hotline.available
    devices["receipt_printer"].inject("paper_out")
    referral = dead_end_offers(AftercarePolicy(), statuses(devices), day, link=False)[1]
    assert not referral.available and "slip printer" in referral.note_text("en")


async def test_the_failure_screen_shows_what_is_off_and_why(kiosk):
    c, devices, clock, _ = kiosk
    clock.start = dt.datetime(2026, 3, 2, 22, 0, tzinfo=SHANGHAI)  # the counter closed hours ago
    await fail_social_security(c, devices)
    options = {o.id: o for o in c.state.view.options}
    assert not options["referral"].enabled and "现已关闭" in options["referral"].label
    assert "人工窗口 08:30–17:30 开放，现已关闭" in c.state.view.ending.notes
    assert c.act("choose", "referral")  # refused, not crashed
    assert not devices["receipt_printer"].printed


# ------------------------------------------------------------------ the referral slip
async def test_the_referral_slip_names_item_step_reason_and_a_queue_number_but_not_the_citizen(kiosk):
    c, devices, clock, _ = kiosk
    await fail_social_security(c, devices)
    c.act("choose", "referral")
    await settle()
    (slip,) = devices["receipt_printer"].printed
    text = slip.plain_text()
    assert "社保参保证明打印" in text and "query" in text and "业务系统暂时无法访问" in text and "K1" in text
    ticket = devices["ticket_dispenser"]
    assert c.state.view.status.startswith("转办单已打印，您的排队号是 A")
    assert c.state.view.ending.take == ("card", "ticket", "referral")
    assert NAME not in text and ID_NUMBER not in text and "0014" not in text
    assert not next(o for o in c.state.view.options if o.id == "referral").enabled  # one slip per visit
    assert ticket is not None


async def test_the_referral_slip_bytes_on_the_fake_escpos_printer(kiosk):
    """A visit with a planted citizen fails; its slip goes through the real ESC/POS driver to the fake TCP
    printer, and the bytes name the item, step, reason, time and kiosk, and carry no citizen."""
    from devices.receipt_printer.escpos import EscposReceiptPrinter
    from devices.testing.escpos_decode import decode
    from devices.testing.fake_escpos import FakeEscposPrinter

    c, devices, clock, _ = kiosk
    c.kiosk = {"id": "K1", "name": "市民中心1号机"}
    with FakeEscposPrinter() as fake:
        printer = EscposReceiptPrinter("receipt_printer", uri=fake.uri, status_timeout=0.5, poll_interval=0.05,
                                       connect_timeout=2.0)
        await printer.open()
        devices["receipt_printer"] = printer
        try:
            await fail_social_security(c, devices)
            c.act("choose", "referral")
            for _ in range(200):  # real sockets: give the driver the loop until the job is acknowledged
                await settle()
                if c.state.view.status.startswith("转办单已打印"):
                    break
                await asyncio.sleep(0.01)
        finally:
            await printer.close()
        raw = b"".join(fake.jobs())
    text = decode(raw).text()
    for expected in ("转办单", "事项：社保参保证明打印", "步骤：查询业务系统（query）", "原因：业务系统暂时无法访问",
                     "2026-03-02 09:30", "K1 市民中心1号机", "A00"):
        assert expected in text, expected
    for secret in (NAME, ID_NUMBER, ID_NUMBER[-4:]):
        assert secret.encode("gb18030") not in raw and secret.encode() not in raw


# ------------------------------------------------------------------ the call-back
async def test_a_callback_request_goes_to_the_outbox_and_never_to_the_journal_or_log(kiosk, tmp_path):
    c, devices, clock, events = kiosk
    with structlog.testing.capture_logs() as logged:
        await fail_social_security(c, devices)
        c.act("choose", "callback")
        assert c.state.view.kind == "callback" and c.state.view.fields[0].keyboard == "phone"
        c.act("submit", {"phone": "1234"})
        assert c.state.view.fields[0].error  # not a mobile number: said on screen, nothing sent
        c.act("submit", {"phone": "13812345678"})
    (request,) = events.of("callback_request")
    assert request.phone == "13812345678" and request.step == "query" and request.reason == "unavailable"
    assert "13812345678" not in repr(request)
    assert c.state.view.kind == "ending" and c.state.view.status.startswith("已登记")
    db = (tmp_path / "journal.db").read_bytes() + (tmp_path / "journal.db-wal").read_bytes()
    assert b"13812345678" not in db and c.journal.db.execute("SELECT COUNT(*) FROM callbacks").fetchone()[0] == 1
    assert "13812345678" not in json.dumps(logged, ensure_ascii=False, default=str)


async def test_a_callback_request_in_the_outbox_survives_a_restart(tmp_path):
    from kiosk.fleet.outbox import Outbox
    from wire import messages

    outbox = Outbox(tmp_path / "outbox.db")
    request = messages.CallbackRequest(flow="social-security-certificate", step="query", reason="unavailable",
                                       locale="zh-CN", phone="13812345678")
    outbox.put("kiosk/v1/K1/events", request.encode())
    outbox.close()
    reopened = Outbox(tmp_path / "outbox.db")  # as after a power cut: the same file, a new process
    ((row_id, topic, payload),) = reopened.pending()
    assert messages.decode_event(payload) == request
    reopened.ack(row_id)
    reopened.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    reopened.close()
    assert b"13812345678" not in (tmp_path / "outbox.db").read_bytes()  # delivered: erased, not just unlinked


# ------------------------------------------------------------------ the rating
async def test_a_low_rating_with_reasons_is_journalled_and_sent_without_personal_data(kiosk, tmp_path):
    c, devices, clock, events = kiosk
    with structlog.testing.capture_logs() as logged:
        await fail_social_security(c, devices)
        c.act("choose", "rate")
        assert c.state.view.kind == "rating" and [o.id for o in c.state.view.options] == ["5", "4", "3", "2", "1",
                                                                                         "skip"]
        c.act("choose", "1")
        assert c.state.view.kind == "rating_reasons"
        c.act("choose", "reason:slow")
        c.act("choose", "reason:not_done")
        c.act("choose", "reason:slow")  # changed their mind
        c.act("choose", "submit")
    assert c.state.view.kind == "rated"
    (rating,) = events.of("rating")
    assert (rating.flow, rating.result, rating.level, rating.reasons) == (
        "social-security-certificate", "failed", 1, ["not_done"])
    (row,) = c.journal.ratings()
    assert (row["level"], json.loads(row["reasons"]), row["result"]) == (1, ["not_done"], "failed")
    everything = (tmp_path / "journal.db").read_bytes() + (tmp_path / "journal.db-wal").read_bytes()
    everything += json.dumps(logged, ensure_ascii=False, default=str).encode()
    everything += "".join(e.encode() for e in events).encode()
    for secret in (NAME, ID_NUMBER):
        assert secret.encode() not in everything
    c.act("done")
    assert c.state.mode == "home"


async def test_one_tap_rates_a_good_visit_and_the_kiosk_goes_home(kiosk):
    c, devices, clock, events = kiosk
    assert c.start("queue-ticket")
    c.act("choose", "social")
    await settle()
    c.act("ok")
    c.act("choose", "5")
    assert c.state.view.kind == "rated" and events.of("rating")[0].level == 5
    clock.fire_next(clock.now + 10)
    assert c.state.mode == "home"


async def test_the_rating_can_be_skipped_and_times_out_on_its_own(kiosk):
    c, devices, clock, events = kiosk
    assert c.start("queue-ticket")
    c.act("home")  # 首页 mid-visit: home at once, no rating screen in the way, counted as not rated
    assert c.state.mode == "home" and [e.level for e in events.of("rating")] == [0]
    assert c.start("queue-ticket")
    c.act("cancel")
    c.act("skip")
    assert c.state.view.kind == "rated" and [e.level for e in events.of("rating")] == [0, 0]
    c.act("done")
    assert c.start("queue-ticket")
    c.set_elderly(True)
    c.act("cancel")
    assert c.state.view.kind == "rating" and c.state.view.timeout_s == 45  # its own limit, longer for elders
    t0 = clock.now
    assert not clock.fire_next(t0 + 44) and c.state.view.kind == "rating"
    assert clock.fire_next(t0 + 46)
    assert c.after.finished is not None and [e.level for e in events.of("rating")] == [0, 0, 0]
    clock.fire_next(clock.now + 10)
    assert c.state.mode == "home"


async def test_every_after_visit_screen_reads_in_english(kiosk):
    """The runtime's own words pass the same check English scenarios apply to flows."""
    from kiosk.scenario.english import untranslated

    c, devices, clock, _ = kiosk
    c.set_locale("en")
    clock.start = dt.datetime(2026, 3, 2, 21, 0, tzinfo=SHANGHAI)  # the counter closed: its note is shown too
    await fail_social_security(c, devices)
    seen = [c.state.view]
    for kind, value in (("choose", "hotline"), ("choose", "callback"), ("submit", {"phone": "1"}), ("back", None),
                        ("choose", "rate"), ("choose", "2"), ("choose", "reason:slow"), ("choose", "submit")):
        c.act(kind, value)
        seen.append(c.state.view)
    assert [v.kind for v in seen] == ["ending", "ending", "callback", "callback", "ending", "rating",
                                      "rating_reasons", "rating_reasons", "rated"]
    for view in seen:
        assert untranslated(view, {NAME}) == [], view.kind


async def test_a_callback_asked_for_during_a_visit_waits_in_the_outbox_across_a_restart(tmp_path):
    """Through the fleet reporter with the broker out of reach: stored first, still there after a restart."""
    from kiosk.fleet.outbox import Outbox
    from kiosk.fleet.reporter import MqttReporter
    from wire import messages

    outbox = Outbox(tmp_path / "outbox.db")
    reporter = MqttReporter("K1", "127.0.0.1", 9, outbox, tmp_path)  # never started: the link is down
    c, devices, clock = await shipped_kiosk(tmp_path, aftercare=AftercarePolicy())
    c.subscribe_events(reporter.event)
    await fail_social_security(c, devices)
    c.act("choose", "callback")
    c.act("submit", {"phone": "139 0000 1111"})
    c.act("choose", "rate")
    c.act("choose", "4")
    outbox.close()  # the kiosk stops (or loses power) before the broker is reached
    reopened = Outbox(tmp_path / "outbox.db")
    kinds = [messages.decode_event(payload) for _, _, payload in reopened.pending()]
    (request,) = [e for e in kinds if e.KIND == "callback_request"]
    assert request.phone == "13900001111" and request.flow == "social-security-certificate"
    assert [e.level for e in kinds if e.KIND == "rating"] == [4]
    for _, _, payload in reopened.pending():
        assert NAME not in payload and ID_NUMBER not in payload
    reopened.close()


async def test_no_callback_is_offered_over_a_fleet_link_in_clear(kiosk):
    c, devices, clock, events = kiosk
    c.callback_link = False  # as the runtime says for a broker beyond loopback without TLS
    await fail_social_security(c, devices)
    callback = next(o for o in c.state.view.options if o.id == "callback")
    assert not callback.enabled and "回电登记暂不可用" in callback.label
    c.act("choose", "callback")
    assert c.state.view.kind == "ending" and not events.of("callback_request")
