"""The wire contract as a back office meets it: what it builds reads back, and what it is sent it refuses precisely.

Every payload here is what a broker could deliver from anyone; the only way
out of a decoder is the message or a WireError naming the field at fault.
"""
import dataclasses
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wire import commands, signaling, topics
from wire.errors import WireError
from wire.messages import (Birth, CommandStats, DeviceChange, DeviceHealth, Failed, Health, ItemHealth, JournalFlags,
                           LinkFlags, OutboxFigures, Refused, Result, State, Visit, VisitCounts, decode,
                           decode_event, decode_reply)

BIRTH = Birth("K-0001", "boot", 3, {"runtime": "0.1.0", "flows": "abc"}, list(commands.NAMES), 1, True, 1.5)
HEALTH = Health(state="degraded", mode="home", maintenance_pending=False,
                devices={"receipt_printer": DeviceHealth("warning", ["paper_low"], "")},
                items={"queue-ticket": ItemHealth(True, [])}, system={"uptime_s": 1.0},
                versions={"runtime": "0.1.0"}, counters=VisitCounts(1, {"queue-ticket": 1}, {}, {}),
                journal=JournalFlags(True), commands=CommandStats(True, 0, {}), telemetry=LinkFlags(True, False),
                outbox=OutboxFigures(0, 0), session_seq=3, at=2.0)
VISIT = Visit(flow="queue-ticket", result="completed", reason="", printed={"ticket_dispenser": 1}, tickets=1,
              session_seq=3, at=3.0)
DEVICE = DeviceChange(device="receipt_printer", state="warning", reasons=["paper_low"], changes={"reasons": ["x"]},
                      session_seq=3, at=4.0)
EVERY = [State("in_service", 3, 1.0), BIRTH, HEALTH, VISIT, DEVICE, Result("c1", {"pong": True}),
         Refused("c2", "replayed", "seen"), Failed(None, "ValueError: no")]


@pytest.mark.parametrize("msg", EVERY, ids=lambda m: type(m).__name__)
def test_every_message_reads_back_as_sent_with_its_version(msg):
    body = json.loads(msg.encode())
    assert body["v"] == 1 and set(body) == set(type(msg).fields())
    assert type(msg).decode(msg.encode()) == msg


def test_events_and_replies_are_told_apart_by_their_own_fields():
    assert decode_event(VISIT.encode()) == VISIT and decode_event(DEVICE.encode()) == DEVICE
    for reply in EVERY[-3:]:
        assert decode_reply(reply.encode()) == reply


@pytest.mark.parametrize("cls, body, at", [
    (State, {"v": 1, "state": "on fire", "session_seq": 1, "at": 1}, "state"),
    (State, {"v": 1, "state": "lost", "session_seq": True, "at": 1}, "session_seq"),
    (State, {"v": 2, "state": "lost", "session_seq": 1, "at": 1}, "v"),
    (State, {"state": "lost", "session_seq": 1, "at": 1}, "v"),
    (State, {"v": 1, "state": "lost", "at": 1}, "session_seq"),
    (Birth, {**BIRTH.as_dict(), "commands": ["ping", 5]}, "commands[1]"),
    (Birth, {**BIRTH.as_dict(), "versions": {"runtime": None}}, "versions.runtime"),
    (Health, {**HEALTH.as_dict(), "devices": []}, "devices"),
    (Health, {**HEALTH.as_dict(), "mode": "party"}, "mode"),
    (Health, {**HEALTH.as_dict(), "devices": {"receipt_printer": {"state": "ok", "reasons": "none", "detail": ""}}},
     "devices.receipt_printer.reasons"),
    (Health, {**HEALTH.as_dict(), "counters": {"sessions": 1, "completions": {}, "failures": {}}}, "counters.pages"),
    (Visit, {**VISIT.as_dict(), "kind": "device"}, "kind"),
    (Visit, {**VISIT.as_dict(), "printed": {"receipt_printer": "1"}}, "printed.receipt_printer"),
    (Refused, {**Refused("c", "replayed", "x").as_dict(), "refused": "because"}, "refused"),
    (Result, {**Result("c", {}).as_dict(), "ok": "yes"}, "ok"),
])
def test_a_wrong_field_is_refused_and_named(cls, body, at):
    with pytest.raises(WireError) as err:
        cls.decode(json.dumps(body))
    assert err.value.at == at and str(err.value).startswith(at)


def test_payloads_that_json_would_accept_silently_are_refused():
    state = '{"v": 1, "state": "lost", "session_seq": 1, "at": %s}'
    for raw in (state % "NaN", state % "Infinity", '{"v": 1, "v": 1}', "[1]", "\xff", "[" * 5000 + "]" * 5000,
                '{"a":' * 40 + "1" + "}" * 40):
        with pytest.raises(WireError):
            State.decode(raw)


def test_a_receiver_ignores_fields_it_does_not_know():
    body = {**State("lost", 1, 1.0).as_dict(), "added_in_a_later_release": 1}
    assert State.decode(json.dumps(body)) == State("lost", 1, 1.0)


def test_the_kiosk_cannot_send_what_the_console_would_refuse():
    with pytest.raises(WireError) as err:
        Visit(flow="f", result="exploded", reason="", printed={}, tickets=0).encode()
    assert err.value.at == "result"


def test_topics_are_built_and_read_back_and_ids_that_break_nats_subjects_are_refused():
    for t in topics.ALL:
        assert topics.parse_topic(topics.topic("K-0001", t)) == ("K-0001", t)
    assert topics.topic("K-0001", topics.CMD_RESP) == "kiosk/v1/K-0001/cmd/resp"
    for bad in ("K.1", "K*", "K>", "K/1", "+", "#", "", "K" * 33):
        with pytest.raises(WireError):
            topics.topic(bad, topics.STATE)
    with pytest.raises(WireError):
        topics.parse_topic("kiosk/v1/K1/cmd/other")


@pytest.mark.parametrize("name, args, at", [
    ("maintenance_on", {"force": "yes"}, "args.force"), ("maintenance_on", {"minutes": 5}, "args.minutes"),
    ("reload_flows", {"path": "/tmp/evil"}, "args.path"), ("restart", {"force": 1}, "args.force"),
    ("format_disk", {}, "cmd"),
])
def test_command_arguments_are_held_to_their_schema(name, args, at):
    with pytest.raises(WireError) as err:
        commands.check_args(name, args)
    assert err.value.at == at


def test_call_signaling_refuses_an_unknown_kind_a_wrong_version_and_a_kind_from_the_wrong_sender():
    body = {"v": 1, "call_id": "c1", "kind": "offer", "body": {"sdp": "v=0"}, "at": 1.0}
    with pytest.raises(WireError) as err:
        signaling.Signal.decode(json.dumps(body))
    assert err.value.at == "kind"
    with pytest.raises(WireError) as err:
        signaling.Signal.decode(json.dumps({**body, "kind": "sdp.offer", "v": 2}))
    assert err.value.at == "v"
    accept = signaling.make("c1", signaling.CallAccept(), 1.0)
    with pytest.raises(WireError) as err:
        signaling.read(accept, signaling.KIOSK_SENDS)  # only an agent accepts a call
    assert err.value.at == "kind"
    assert isinstance(signaling.read(accept, signaling.AGENT_SENDS)[1], signaling.CallAccept)


@pytest.mark.parametrize("body, at", [
    (signaling.SdpOffer("v=0" + "x" * signaling.SDP_MAX), "body.sdp"),
    (signaling.HelpRequest("x" * 201, "s", "zh-CN"), "body.item"),
    (signaling.HelpRequest("item", "s", "zh-CN", "astrology"), "body.skill"),
    (signaling.Context("item", "s", ["t"] * 41, {}), "body.texts"),
    (signaling.Context("item", "s", [], {"id_number": "110101199003071234"}), "body.values.id_number"),
    (signaling.Context("item", "s", [], {"phone": "138 0013 8000"}), "body.values.phone"),
    (signaling.CallbackRequest("call me"), "body.phone"),
    (signaling.Hello("K/../1", "t"), "body.kiosk_id"),
    (signaling.CallTransfer(to_agent="wang", to_skill="general"), "body.to_agent"),
    (signaling.Quality(10, 2, 15), "body.loss"),
])
def test_signaling_bodies_are_bounded_and_checked_by_field(body, at):
    raw = json.dumps(signaling.Signal("c1", body.KIND, dataclasses.asdict(body), 1.0).as_dict())
    table = signaling.KIOSK_SENDS if body.KIND in signaling.KIOSK_SENDS else signaling.AGENT_SENDS
    with pytest.raises(WireError) as err:
        signaling.read(raw, table)
    assert err.value.at == at


def test_masked_context_and_typed_parts_read_back_as_sent():
    ctx = signaling.Context("social-security-certificate", "show", ["请核对信息"],
                            {"id_number": "110101********1234", "name": "张*"})
    signal, body = signaling.read(signaling.make("c1", ctx, 2.0), signaling.KIOSK_SENDS)
    assert (signal.call_id, body) == ("c1", ctx)
    assigned = signaling.CallAssigned("王", [signaling.IceServer(["turn:10.0.0.1:3478"], "1:c1", "pw")], "r")
    assert signaling.read(signaling.make("c1", assigned, 2.0), signaling.TO_KIOSK)[1] == assigned


def containers(inner):
    return st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)


JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                       containers, max_leaves=20)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(msg=st.sampled_from(EVERY), field=st.text(max_size=12), value=JSONISH, drop=st.booleans())
def test_any_mutation_of_a_message_is_read_or_refused_with_a_wire_error_only(msg, field, value, drop):
    body = msg.as_dict()
    key = sorted(body)[len(field) % len(body)] if drop else field
    if drop:
        body.pop(key)
    else:
        body[key] = value
    for decode in (type(msg).decode, decode_event, decode_reply):
        try:
            decode(json.dumps(body))
        except WireError:
            pass


@settings(max_examples=200, deadline=None)
@given(raw=st.binary(max_size=64))
def test_any_bytes_are_read_or_refused_with_a_wire_error_only(raw):
    for decode in (State.decode, Health.decode, decode_event, decode_reply, signaling.Signal.decode):
        try:
            decode(raw)
        except WireError:
            pass


def test_a_command_result_is_read_by_its_command_type_and_a_wrong_one_named():
    spec = commands.SPECS[commands.MAINTENANCE_ON]
    assert spec.decode_result({"maintenance": "pending", "mode": "visit", "ends_after_s": 600}) == \
        commands.MaintenanceStarted("pending", "visit", 600)
    with pytest.raises(WireError) as err:
        spec.decode_result({"maintenance": "maybe", "mode": "visit", "ends_after_s": 600})
    assert err.value.at == "result.maintenance"


def test_the_back_office_reads_each_kiosk_topic_by_its_name():
    published = {topics.STATE: EVERY[0], topics.BIRTH: BIRTH, topics.HEALTH: HEALTH, topics.EVENTS: DEVICE,
                 topics.CMD_RESP: EVERY[-2]}
    for t, msg in published.items():
        kiosk_id, topic = topics.parse_topic(topics.topic("K-0001", t))
        assert kiosk_id == "K-0001" and decode(topic, msg.encode()) == msg
    with pytest.raises(WireError):
        decode(topics.CMD, "{}")


SIGNAL_BODIES = [signaling.make("c1", body, 1.0) for body in (
    signaling.Hello("K-1", "kc_x", ["audio"]), signaling.HelpRequest("item", "step", "zh-CN"),
    signaling.Context("item", "step", ["t"], {"a": "b"}), signaling.CallTransfer(to_skill="general"),
    signaling.CallAssigned("li", [signaling.IceServer(["turn:h"], "u", "p")], "r"),
    signaling.QueueSnapshot([signaling.QueuedCall("c", "K", "i", "general", "waiting", 1.0)], []))]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.sampled_from(SIGNAL_BODIES), field=st.text(max_size=12), value=JSONISH, drop=st.booleans())
def test_any_mutation_of_a_signal_body_is_read_or_refused_with_a_wire_error_only(raw, field, value, drop):
    frame = json.loads(raw)
    body = frame["body"]
    key = sorted(body)[len(field) % len(body)] if drop and body else field
    if drop and body:
        body.pop(key)
    else:
        body[key] = value
    for table in signaling.DIRECTIONS.values():
        try:
            signaling.read(json.dumps(frame), table)
        except WireError:
            pass
