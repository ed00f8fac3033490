"""The help desk: video help calls from kiosks to staff, in the back office (issue #13).

Parts: `acd` (queues, ringing, RONA, transfer, callback offers; state in the database), `relay` (this
process's sockets and the loop that delivers frames from the shared signal table), `sockets` (/ws/kiosk,
/ws/agent), `callbacks` (callback tasks), `metrics` (figures from the event log), `secrets` (kiosk
credentials, phone sealing, TURN credentials), `pages` (the console pages), `commands` (the CLI).
"""
from __future__ import annotations



def phone_seal(cfg):
    from backoffice.helpdesk.secrets import PhoneSeal
    return PhoneSeal(cfg.helpdesk.phone_key_file or cfg.var_dir / "helpdesk-phone.key")


def setup(app) -> None:
    """Imports here: `backoffice kiosks credential` (helpdesk.commands) must not load the web server."""
    from backoffice.helpdesk import pages, sockets, staff_page
    from backoffice.helpdesk.acd import Desk
    from backoffice.helpdesk.callbacks import Callbacks
    from backoffice.helpdesk.keys import HUB
    from backoffice.helpdesk.relay import Hub
    from backoffice.keys import CONFIG, ENGINE
    import os
    from backoffice.config import ConfigError
    cfg, engine = app[CONFIG], app[ENGINE]
    turn = cfg.helpdesk.turn
    if turn.secret_env and not os.environ.get(turn.secret_env):
        raise ConfigError(f"helpdesk.turn.secret_env: environment variable {turn.secret_env} is not set")
    seal = phone_seal(cfg)
    if HUB not in app:  # a test may have put in its own, with a clock it moves
        app[HUB] = Hub(Desk(engine, cfg.helpdesk, seal), cfg.helpdesk.poll_interval_s)
    app[pages.CALLBACKS] = Callbacks(engine, seal)
    app.on_startup.append(app[HUB].start)
    app.on_shutdown.append(app[HUB].stop)
    app.router.add_get("/ws/kiosk", sockets.kiosk_socket)
    app.router.add_get("/ws/agent", sockets.agent_socket)
    pages.setup(app)
    staff_page.setup(app)
