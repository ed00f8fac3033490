"""messages.read's fast path (wire.schema.as_is, a check generated per class) agrees with the general checks:
whatever a broker delivers, read gives the body the checks and `known` give, or the same located error."""
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fleet.test_wire import EVERY, JSONISH
from wire import codec, messages, schema, topics
from wire.errors import WireError

TOPIC = {messages.State: topics.STATE, messages.Birth: topics.BIRTH, messages.Health: topics.HEALTH,
         messages.Visit: topics.EVENTS, messages.DeviceChange: topics.EVENTS, messages.Result: topics.CMD_RESP,
         messages.Refused: topics.CMD_RESP, messages.Failed: topics.CMD_RESP}


def slow_read(topic, raw):
    """What read did before the fast path: every check, then the body cut to the declared fields."""
    body = codec.load_object(raw)
    cls = (messages._event_class(body) if topic is topics.EVENTS else
           messages._reply_class(body) if topic is topics.CMD_RESP else messages.ON_TOPIC[topic][0])
    schema.check(cls, body)
    return cls, schema.known(cls, body, ("v", *cls.CONST))


def outcome(read, topic, raw):
    try:
        return read(topic, raw)
    except WireError as exc:
        return ("refused", exc.at, exc.detail)


def mutate(body, path, index, value, drop):
    """Set or drop one key (`index` into its object's sorted keys) at the end of `path` (indices into the
    sorted keys of nested objects, down while there are)."""
    node = body
    for step in path:
        inner = [k for k in sorted(node) if isinstance(node[k], dict)]
        if not inner:
            break
        node = node[inner[step % len(inner)]]
    if drop and node:
        node.pop(sorted(node)[index % len(node)])
    else:
        node[sorted(node)[index % len(node)] if node else "extra"] = value


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(msg=st.sampled_from(EVERY), path=st.lists(st.integers(0, 7), max_size=3), index=st.integers(0, 20),
       value=JSONISH, drop=st.booleans(), extra=st.booleans())
def test_the_fast_path_reads_every_payload_as_the_general_checks_do(msg, path, index, value, drop, extra):
    body = msg.as_dict()
    mutate(body, path, index, value, drop)
    if extra:
        body["added_later"] = value
    raw = json.dumps(body).encode()
    assert outcome(messages.read, TOPIC[type(msg)], raw) == outcome(slow_read, TOPIC[type(msg)], raw)


SAMPLES = (True, False, 0, 3, 1.5, -1, "x", "in_service", "", None, [], ["x"], [1], {}, {"a": 1}, {"a": "b"},
           {"state": "ok", "reasons": [], "detail": ""}, {"available": True, "reasons": ["x"]})


def paths(node, at=()):
    """Every key of every object in `node`, as a path of keys."""
    for key, value in node.items():
        yield (*at, key)
        if isinstance(value, dict):
            yield from paths(value, (*at, key))


def test_every_field_at_any_depth_given_any_kind_of_value_or_left_out_is_read_as_the_checks_read_it():
    for msg in EVERY:
        topic = TOPIC[type(msg)]
        for path in list(paths(msg.as_dict())):
            for value in (*SAMPLES, "drop"):
                body = msg.as_dict()
                node = body
                for key in path[:-1]:
                    node = node[key]
                if value == "drop" and type(value) is str:
                    del node[path[-1]]
                else:
                    node[path[-1]] = value
                raw = json.dumps(body).encode()
                assert outcome(messages.read, topic, raw) == outcome(slow_read, topic, raw), (path, value)


def test_a_message_as_sent_takes_the_fast_path_and_anything_else_the_checks():
    for msg in EVERY:
        body = msg.as_dict()
        keep = ("v", *type(msg).CONST)
        assert schema.as_is(type(msg), body, keep), type(msg).__name__
        assert not schema.as_is(type(msg), {**body, "v": 99}, keep)
        assert not schema.as_is(type(msg), {**body, "unknown": 1}, keep)
    health = EVERY[2].as_dict()
    health["devices"]["receipt_printer"]["firmware"] = "1.2"  # an undeclared field in a part: cut by known
    cls, kept = messages.read(topics.HEALTH, json.dumps(health))
    assert "firmware" not in kept["devices"]["receipt_printer"]
    assert messages.read_whole(topics.HEALTH, json.dumps(health))[2] is False  # its payload is not the body
    assert messages.read_whole(topics.HEALTH, json.dumps(EVERY[2].as_dict()))[2] is True
    health["devices"]["receipt_printer"]["reasons"] = ["paper_low", 3]
    assert outcome(messages.read, topics.HEALTH, json.dumps(health)) == (
        "refused", "devices.receipt_printer.reasons[1]", "must be a string")


def test_the_shared_decoder_reads_every_encoding_json_reads_and_still_refuses_a_repeated_key():
    body = {"v": 1, "state": "in_service", "session_seq": 2, "at": 1.5, "note": "自助终端"}
    text = json.dumps(body, ensure_ascii=False)
    for raw in (text, text.encode(), b"\xef\xbb\xbf" + text.encode(), text.encode("utf-16"), text.encode("utf-16-le"),
                text.encode("utf-32")):
        assert codec.load_object(raw) == json.loads(raw) == body
    for raw in ("\ufeff" + text, b'{"v": 1, "v": 1}', '{"a": {"b": 1, "b": 2}}', b"{\x00", b"\xff{}"):
        try:
            codec.load_object(raw)
        except WireError:
            continue
        raise AssertionError(raw)
