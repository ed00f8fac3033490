"""backoffice.toml, validated once at start: an unknown key or a bad value is one located line.

With no file every option has an embedded default, so `backoffice serve` runs in the current directory:
a SQLite file there and a Mosquitto of its own on a free loopback port.
"""
from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from backoffice.alerts.settings import AlertsConfig


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerConfig(Section):
    host: str = Field(default="127.0.0.1", description="Listen address.")
    port: int = Field(default=8700, ge=1, le=65535, description="HTTP port of the console and /api/v1.")
    secure_cookies: bool = Field(default=False, description="Mark the session cookie Secure even when the request "
                                 "arrives over plain HTTP (behind a TLS-terminating proxy). Always set over https.")
    trusted_proxies: tuple[str, ...] = Field(
        default=(), description="Addresses of reverse proxies whose X-Forwarded-For is believed: the sign-in "
        "limits then count the client's address, not the proxy's.")


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


class AuthConfig(Section):
    mode: Literal["production", "demo"] = Field(
        default="production", description="production: no known default password signs in, and `serve` refuses "
        "to start while an account has one; demo: the demo accounts exist, with their documented passwords.")
    lockout_failures: int = Field(default=5, ge=1, le=100, description="Consecutive failures that lock an account.")
    lockout_minutes: float = Field(default=15, gt=0, le=24 * 60, description="How long a locked account stays locked.")
    attempts_per_address: int = Field(default=20, ge=1, description="Sign-in attempts per minute from one address.")
    attempts_per_account: int = Field(default=10, ge=1, description="Sign-in attempts per minute for one name.")
    session_idle_minutes: float = Field(default=30, gt=0, description="A session unused this long ends.")
    session_max_hours: float = Field(default=12, gt=0, description="A session ends this long after sign-in, used or not.")
    min_password_length: int = Field(default=10, ge=8, le=256)
class FleetConfig(Section):
    health_interval_s: float = Field(default=60, ge=5, le=3600, description="Expected health interval of a "
                                     "kiosk whose birth does not say its own (kiosk.toml telemetry.health_interval_s).")
    grace_percent: float = Field(default=100, ge=0, le=1000, description="Offline once no report has arrived for "
                                 "the interval plus this percentage of it (100: two intervals).")
    poll_s: float = Field(default=2, ge=0.2, le=60, description="How often the live pages re-read the kiosks "
                          "that changed; other workers' writes reach this one's pages this late at most.")


class HistoryConfig(Section):
    full_days: float = Field(default=7, gt=0, le=366, description="Health samples kept at full resolution.")
    hourly_days: float = Field(default=90, gt=0, le=3660, description="Then one row per kiosk and hour, kept "
                               "until this many days old (counted from now, so at least full_days).")
    compact_every_s: float = Field(default=3600, ge=10, le=86_400, description="How often downsampling and "
                                   "retention run.")

    @model_validator(mode="after")
    def _hourly_outlives_full(self):
        if self.hourly_days < self.full_days:
            raise ValueError("hourly_days must be at least full_days")
        return self
class StatsConfig(Section):
    timezone: str = Field(default="Asia/Shanghai", description="Days and hours of the service statistics are "
                          "counted in this IANA time zone.")

    @field_validator("timezone")
    @classmethod
    def _known(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value
class CommandsConfig(Section):
    key_file: Path = Field(default=Path("command-signing.key"),
                           description="The Ed25519 key commands are signed with (PEM, mode 0600); relative to "
                           "var_dir; made on first start when missing. Kiosks trust its public key, printed by "
                           "`backoffice keys export-public` (their telemetry.command_key_file).")
    ttl_s: int = Field(default=900, ge=30, le=86_400, description="How long a command waits for its kiosk (an "
                       "offline one gets it when it comes back); unanswered by then, it shows as expired.")
    resend_s: float = Field(default=5.0, ge=1, le=600, description="An unanswered command is sent again after "
                            "this long, doubling each time (a kiosk refuses a copy it already ran).")


class TurnConfig(Section):
    urls: tuple[str, ...] = Field(default=(), description="TURN (and STUN) URLs given to both peers, e.g. "
                                  "turn:10.0.0.5:3478?transport=udp. Empty: host candidates only; never a public "
                                  "STUN server by default.")
    secret_env: str | None = Field(default=None, description="Environment variable holding coturn's "
                                   "static-auth-secret (use-auth-secret): credentials are derived per call.")
    ttl_s: int = Field(default=3600, ge=60, le=86400, description="How long a call's TURN credentials live.")

    @field_validator("urls")
    @classmethod
    def _ice_urls(cls, urls: tuple[str, ...]) -> tuple[str, ...]:
        for url in urls:
            if not url.startswith(("turn:", "turns:", "stun:", "stuns:")):
                raise ValueError(f"{url!r}: a TURN or STUN URL starts with turn:, turns:, stun: or stuns:")
        return urls


class HelpdeskConfig(Section):
    ring_timeout_s: float = Field(default=20, gt=0, le=120, description="Ring an agent this long, then RONA: "
                                  "the agent is set not ready and the call goes to the next.")
    callback_after_s: float = Field(default=180, gt=0, description="A citizen waiting longer is offered a callback.")
    callback_target_s: float = Field(default=4 * 3600, gt=0, description="A callback should be made within this.")
    service_level_s: float = Field(default=20, gt=0, description="Service level: answered within this many seconds.")
    typical_handle_s: float = Field(default=240, gt=0, description="Handling time assumed for the wait estimate.")
    presence_timeout_s: float = Field(default=15, ge=2, description="A socket not heard of this long is gone.")
    resume_window_s: float = Field(default=60, ge=0, description="A kiosk that drops mid-call may resume this long.")
    poll_interval_s: float = Field(default=0.1, gt=0, le=2, description="How often a process reads the shared "
                                   "signal table: the relay's added latency between two processes.")
    phone_key_file: Path | None = Field(default=None, description="32-byte key encrypting callback phone numbers; "
                                        "every instance needs the same file. Unset: var_dir/helpdesk-phone.key, "
                                        "made on first start.")
    allowed_origins: tuple[str, ...] = Field(default=(), description="Extra origins (scheme://host[:port]) allowed "
                                             "to open /ws/agent besides the console's own.")
    agent_skills: dict[str, tuple[str, ...]] = Field(default_factory=dict, description="Agent name -> the skill "
                                                     "queues they answer; an agent not listed answers every queue.")
    item_skills: dict[str, str] = Field(default_factory=dict, description="Item (flow id) -> the skill queue a "
                                        "call-back asked for at that item's dead end goes to; others: general.")
    turn: TurnConfig = Field(default_factory=TurnConfig)

    @field_validator("item_skills")
    @classmethod
    def _item_skills(cls, skills: dict[str, str]) -> dict[str, str]:
        from wire.signaling import SKILLS
        for item, skill in skills.items():
            if skill not in SKILLS:
                raise ValueError(f"{item}: unknown skill {skill!r} (one of {', '.join(SKILLS)})")
        return skills

    @field_validator("agent_skills")
    @classmethod
    def _known_skills(cls, skills: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        from wire.signaling import SKILLS
        for agent, theirs in skills.items():
            unknown = [x for x in theirs if x not in SKILLS]
            if unknown:
                raise ValueError(f"{agent}: unknown skill {unknown[0]!r} (one of {', '.join(SKILLS)})")
        return skills


class Config(Section):
    server: ServerConfig = Field(default_factory=ServerConfig)
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    broker: BrokerConfig = Field(default_factory=BrokerConfig)
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    auth: AuthConfig = Field(default_factory=AuthConfig)
    fleet: FleetConfig = Field(default_factory=FleetConfig)
    history: HistoryConfig = Field(default_factory=HistoryConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    stats: StatsConfig = Field(default_factory=StatsConfig)
    commands: CommandsConfig = Field(default_factory=CommandsConfig)
    helpdesk: HelpdeskConfig = Field(default_factory=HelpdeskConfig)
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
    """Validated, with every problem as one line `file: section.option: what is wrong`, worded as kiosk.toml's.

    kiosk/config.py has the same reading and the same wording (load, this loop, _names), some twenty lines,
    deliberately not shared: the back office may not import kiosk/, wire/ is the wire contract and not a place
    for configuration, and a fifth top-level package shipped to both the kiosk image and the server costs more
    than twenty lines. tests/test_config_errors_alike.py holds the two to one wording instead.
    """
    try:
        cfg = Config.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors(include_url=False):
            where = ".".join(str(p) for p in err["loc"])
            if err["type"] == "extra_forbidden":
                close = difflib.get_close_matches(str(err["loc"][-1]), sorted(_names(Config)), n=1)
                lines.append(f"{name}: {where}: unknown option" + (f" (did you mean {close[0]!r}?)" if close else ""))
            elif err["type"] == "value_error":  # our own validators' words, without pydantic's "Value error, "
                lines.append(f"{name}: {where}: {err['ctx']['error']}")
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
    key = cfg.helpdesk.phone_key_file
    if key is not None and not key.is_absolute():
        update["helpdesk"] = cfg.helpdesk.model_copy(update={"phone_key_file": base / key})
    return cfg.model_copy(update=update)
