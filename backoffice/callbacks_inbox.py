"""Where a citizen's call-back request (wire.messages.CallbackRequest, sent from the kiosk's failure-ending
screen) enters the back office, before anything of it is stored.

Ingest stores events generically (events.payload is the message as sent), and the phone number is the one
personal field the wire contract carries. So ingest hands every CallbackRequest to `take` first and stores
what it returns: the same request with the number masked (138****5678), enough for an operator to see that a
call-back was asked for and to match it to a citizen who calls in, useless to anyone reading the database,
its backups, the API or the logs.

The contract for the help desk, which calls citizens back: `take(engine, report)` is the one place
that sees the clear number. A part that needs it keeps it here, in a table of its own with the number sealed
under a key from its configuration, and still returns the masked request for the events table.
"""
from __future__ import annotations

import dataclasses

from sqlalchemy import Engine

from backoffice.reports import Report


def mask(phone: str) -> str:
    """The first three and last four digits (a mobile number's carrier and line end), the rest starred."""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"


def take(engine: Engine, report: Report) -> Report:
    """The request as the events table may keep it: the phone number masked. `engine` is for the help desk's
    sealed callbacks table (see the module's description); nothing is stored here."""
    del engine
    return dataclasses.replace(report, body={**report.body, "phone": mask(str(report.body.get("phone", "")))})
