"""What the help desk's handlers reach through `request.app[...]`."""
from __future__ import annotations

from aiohttp import web

from backoffice.helpdesk.relay import Hub

HUB = web.AppKey("helpdesk_hub", Hub)
