"""Each step's view says what its media area shows: the device's illustration, or the item's guide video."""
from kiosk.engine.clock import VirtualClock
from kiosk.engine.session import Session
from kiosk.flow.media import cue_at, guidance
from tests.kiosk_kit import last_view


def start(flows, flow_id, locale="zh-CN"):
    clock = VirtualClock()
    s = Session(flows, flow_id, session_id="media-1", kiosk={"id": "K1"}, locale=locale, clock=clock.monotonic,
                wallclock=clock.wallclock)
    return s, last_view(s.start())


def test_the_card_reader_step_shows_where_the_card_goes(flows):
    _, view = start(flows, "social-security-certificate")
    assert view.media.image.endswith("assets/illustrations/id_card.zip") and not view.media.video


def at(session, step: str):
    """The view of ``step``, entered directly: what a step shows does not depend on how the visit got there."""
    session._transition(step)
    return session.view()


def test_other_steps_play_the_items_guide_video_with_subtitles_in_the_screens_language(flows):
    s, _ = start(flows, "social-security-certificate")
    consent = at(s, "consent")
    assert consent.media.video.endswith("flows/social-security-certificate/guide.webm") and not consent.media.image
    assert cue_at(consent.media.cues, 4.0) == "第2步：同意查询"
    s.locale = "en"
    assert cue_at(s.view().media.cues, 4.0) == "Step 2: Agree to the look-up"


def test_printing_and_taking_the_document_are_shown(flows):
    s, _ = start(flows, "queue-ticket")
    assert at(s, "take_ticket").media.image.endswith("assets/illustrations/take_ticket.zip")
    for flow_id, printer in (("social-security-certificate", "print_document"), ("housing-fund-query", "print_slip")):
        cf = flows[flow_id]
        step = next(x for x in cf.flow.steps if x.kind == "print")
        assert guidance(cf.flow, cf.folder, step, "zh-CN").image.endswith(f"assets/illustrations/{printer}.zip")


def test_an_ending_shows_no_media(flows):
    s, _ = start(flows, "queue-ticket")
    assert at(s, "done").media is None
