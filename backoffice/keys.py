"""What every part of the web application reaches through `request.app[...]`, named once."""
from __future__ import annotations

from aiohttp import web
from sqlalchemy import Engine

from backoffice.config import Config
from backoffice.pipeline import Pipeline
from backoffice.store import FleetStore

CONFIG = web.AppKey("config", Config)
ENGINE = web.AppKey("engine", Engine)
STORE = web.AppKey("store", FleetStore)
INGEST = web.AppKey("ingest", Pipeline)  # MQTT (ingest.py) or NATS (ingest_nats.py)
