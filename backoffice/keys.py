"""What every part of the web application reaches through `request.app[...]`, named once."""
from __future__ import annotations

from aiohttp import web
from sqlalchemy import Engine

from backoffice.alerts.service import AlertService
from backoffice.auth.service import Auth
from backoffice.commands import Commands
from backoffice.config import Config
from backoffice.fleetview import FleetView
from backoffice.pipeline import Pipeline
from backoffice.store import FleetStore

CONFIG = web.AppKey("config", Config)
ENGINE = web.AppKey("engine", Engine)
STORE = web.AppKey("store", FleetStore)
INGEST = web.AppKey("ingest", Pipeline)  # MQTT (ingest.py) or NATS (ingest_nats.py)
AUTH = web.AppKey("auth", Auth)
FLEET = web.AppKey("fleet", FleetView)  # the fleet page's derived rows and change feed (backoffice.fleetview)
ALERTS = web.AppKey("alerts", AlertService)
COMMANDS = web.AppKey("commands", Commands)
