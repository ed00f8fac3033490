"""backoffice.toml, validated once at start: an unknown key or a bad value is one located line.

With no file every option has an embedded default, so `backoffice serve` runs in the current directory:
a SQLite file there and a Mosquitto of its own on a free loopback port.
"""
from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerConfig(Section):
    host: str = Field(default="127.0.0.1", description="Listen address. No login yet: keep it on loopback.")
    port: int = Field(default=8700, ge=1, le=65535, description="HTTP port of the console and /api/v1.")


class DatabaseConfig(Section):
    url: str = Field(default="sqlite:///backoffice.db",
                     description="SQLAlchemy URL; a relative SQLite path is relative to the configuration file.")


class BrokerConfig(Section):
    kind: Literal["mqtt", "nats"] = Field(
        default="mqtt", description="mqtt: a shared subscription on an MQTT broker (host, port); nats: a durable "
                                    "JetStream consumer on a NATS cluster (servers), whose MQTT listener the kiosks use.")
    servers: list[str] = Field(default_factory=list, description="NATS URLs (nats://host:4222), several for a cluster.")
    host: str | None = Field(default=None, description="MQTT broker; unset: start a local mosquitto on loopback.")
    port: int = Field(default=1883, ge=1, le=65535)
    username: str | None = None
    password_env: str | None = Field(default=None, description="Environment variable holding the password.")
    ca_file: Path | None = Field(default=None, description="CA bundle: connect with TLS.")
    keepalive: int = Field(default=30, ge=5, le=600)

    @model_validator(mode="after")
    def _servers_for_nats(self):
        if self.kind == "nats" and not self.servers:
            raise ValueError("kind = \"nats\" needs servers (nats://host:4222, one per node)")
        bad = [u for u in self.servers if not u.startswith(("nats://", "tls://"))]
        if bad:
            raise ValueError(f"servers: {bad[0]!r} is not a nats:// or tls:// URL")
        return self


class IngestConfig(Section):
    group: str = Field(default="backoffice", pattern=r"^[A-Za-z0-9_-]{1,32}$",
                       description="Shared-subscription group (MQTT) or durable consumer (NATS): every worker of "
                                   "one back office uses the same.")
    max_payload: int = Field(default=65536, ge=1024, description="Bigger reports are counted as bad, not read.")
    ack_wait_s: int = Field(default=30, ge=1, le=3600,
                            description="NATS: a report a worker took and did not store in this time (the worker "
                                        "died) goes to another worker.")


class Config(Section):
    server: ServerConfig = Field(default_factory=ServerConfig)
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    broker: BrokerConfig = Field(default_factory=BrokerConfig)
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    var_dir: Path = Field(default=Path("."), description="The local broker's files; relative to the config file.")


class ConfigError(Exception):
    pass


def _names(model: type[BaseModel]) -> set[str]:
    out = set(model.model_fields)
    for f in model.model_fields.values():
        if isinstance(f.annotation, type) and issubclass(f.annotation, BaseModel):
            out |= _names(f.annotation)
    return out


def load(path: str | Path | None = None) -> Config:
    """The configuration at `path`, or the embedded defaults rooted in the current directory."""
    if path is None:
        return parse({}, "backoffice.toml", base=Path.cwd())
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return parse(data, str(path), base=path.parent)


def parse(data: dict, name: str, base: Path) -> Config:
    try:
        cfg = Config.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors(include_url=False):
            where = ".".join(str(p) for p in err["loc"])
            if err["type"] == "extra_forbidden":
                close = difflib.get_close_matches(str(err["loc"][-1]), sorted(_names(Config)), n=1)
                lines.append(f"{name}: {where}: unknown option" + (f" (did you mean {close[0]!r}?)" if close else ""))
            else:
                lines.append(f"{name}: {where}: {err['msg']}")
        raise ConfigError("\n".join(lines)) from None
    return _rebased(cfg, base.resolve())


def _rebased(cfg: Config, base: Path) -> Config:
    """Relative paths (var_dir, a SQLite file) are relative to the configuration file, not to where it runs."""
    update: dict = {"var_dir": cfg.var_dir if cfg.var_dir.is_absolute() else base / cfg.var_dir}
    prefix = "sqlite:///"
    url = cfg.database.url
    if url.startswith(prefix) and not url[len(prefix):].startswith(("/", ":memory:")) and url != prefix:
        update["database"] = DatabaseConfig(url=prefix + str(base / url[len(prefix):]))
    return cfg.model_copy(update=update)
