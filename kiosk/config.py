"""Kiosk configuration: one TOML file, validated once at start-up.

Unknown keys are errors that name the exact option; every field is
documented where it is declared. Secrets never sit in the file itself:
a service names an environment variable or a file that holds its token.
"""
from __future__ import annotations

import ipaddress
import os
import tomllib
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kiosk.engine.aftercare_policy import AftercarePolicy
from kiosk.flow.model import ELDERLY_MULTIPLIER, IdlePolicy, Locale
from kiosk.flow.problems import did_you_mean
from wire.topics import KIOSK_ID

DEFAULT_PATH = Path("/etc/kiosk/kiosk.toml")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KioskInfo(Strict):
    id: str = Field(pattern=f"^{KIOSK_ID.pattern}$", description="Fleet-wide kiosk id; topic and document prefix "
                    "(the wire contract's rule: letters, digits, _ and -, at most 32).")
    name: str = Field(default="", description="Shown on tickets and documents, e.g. 市民中心24小时自助区 1号机.")
    hall: str = Field(default="", description="Service hall name printed on tickets.")
    verify_url: str = Field(default="", description="Verification link printed as a QR on documents; "
                            "{number} and {code} are filled in, e.g. https://verify.example.gov.cn/d/{code}.")
    locales: list[Locale] = Field(default_factory=lambda: ["zh-CN", "en"])
    default_locale: Locale = "zh-CN"


class IdentityConfig(Strict):
    """The device's identity card (设备身份证): whom a citizen or an operator calls about this machine.

    Public by design: shown on the out-of-service and maintenance screens and on the console, and sent in
    the birth message. The name and hall are [kiosk]'s, so they are written once.
    """
    model: str = Field(default="", description="Make and model, e.g. 自助终端 ZW-8000.")
    region: str = Field(default="", description="District or city the hall is in, for grouping on the console.")
    address: str = Field(default="", description="Where the machine stands, e.g. 人民路88号市民中心一楼.")
    maintainer: str = Field(default="", description="The maintaining company.")
    maintainer_phone: str = Field(default="", description="The maintainer's phone, for citizens and operators.")
    asset_number: str = Field(default="", description="The asset tag on the machine.")
    nearest: str = Field(default="", description="Where the nearest other kiosk or staffed counter is, "
                         "shown when this one is out of service, e.g. 二楼东侧自助区 / 1楼综合窗口.")


class FlowsConfig(Strict):
    path: Path = Field(default=Path("flows"), description="Root of the flow bundle (holds services.yaml).")


class LoggingConfig(Strict):
    format: Literal["console", "json"] = Field(default="console", description="json in production.")
    level: Literal["debug", "info", "warning", "error"] = "info"


class DeviceConfig(BaseModel):
    """`driver` picks the implementation; the other keys are that driver's options."""

    model_config = ConfigDict(extra="allow", frozen=True)
    driver: str

    def options(self) -> dict:
        return dict(self.model_extra or {})


class MissingCredential(Exception):
    """A service names a token that is not there: calling without it would only earn refusals."""

    def __init__(self, option: str, message: str):
        super().__init__(message)
        self.option = option


def is_loopback(host: str) -> bool:
    """This machine only: 127.0.0.0/8, ::1 or the name localhost (nothing crosses a wire)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ServiceConfig(Strict):
    base_url: str = Field(pattern=r"^https?://[^\s@/]+(:\d+)?(/\S*)?$",
                          description="https, except to this machine (loopback); no credentials in the URL.")
    timeout_s: float = Field(default=10, gt=0, le=60, description="Upper bound on any call to this service.")
    token_env: str | None = Field(default=None, description="Environment variable holding the bearer token.")
    token_file: Path | None = Field(default=None, description="File holding the bearer token; 0600 or 0640, "
                                    "never readable by every user.")
    ca_file: Path | None = Field(default=None, description="PEM bundle of the CA(s) that alone are trusted for this "
                                 "service's certificate; without it, the system's trust store.")

    @field_validator("base_url")
    @classmethod
    def _https_beyond_loopback(cls, url: str) -> str:
        host = urlsplit(url).hostname or ""
        if not url.startswith("https://") and not is_loopback(host):
            raise ValueError(f"https is required for {host!r}; plain http is only allowed to this machine "
                             "(127.0.0.0/8, ::1, localhost)")
        return url

    @field_validator("ca_file")
    @classmethod
    def _ca_needs_https(cls, ca_file: Path | None, info) -> Path | None:
        if ca_file is not None and not str(info.data.get("base_url", "https://")).startswith("https://"):
            raise ValueError("a CA file is only used with an https base_url")
        return ca_file

    @model_validator(mode="after")
    def _one_token_source(self) -> "ServiceConfig":
        if self.token_env and self.token_file:
            raise ValueError("set token_env or token_file, not both")
        return self

    def credential(self) -> str | None:
        """The bearer token; None when the service takes none. Raises MissingCredential when it is not there."""
        if self.token_env:
            token = os.environ.get(self.token_env, "").strip()
            if not token:
                raise MissingCredential("token_env", f"environment variable {self.token_env} is not set")
            return token
        if self.token_file:
            try:
                token = self.token_file.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as exc:
                raise MissingCredential("token_file", f"cannot read {self.token_file}: "
                                        f"{getattr(exc, 'strerror', None) or exc}") from None
            if not token:
                raise MissingCredential("token_file", f"{self.token_file} is empty")
            return token
        return None


class TelemetryConfig(Strict):
    """Fleet reporting over MQTT; off when no host is set."""

    host: str | None = Field(default=None, description="MQTT broker host name.")
    port: int = Field(default=8883, ge=1, le=65535)
    ca_file: Path | None = Field(default=None, description="CA bundle for the broker's TLS certificate.")
    cert_file: Path | None = Field(default=None, description="This kiosk's client certificate (per-kiosk credential).")
    key_file: Path | None = None
    username: str | None = None
    password_env: str | None = Field(default=None, description="Environment variable holding the MQTT password.")
    keepalive_s: int = Field(default=30, ge=2, le=600)
    health_interval_s: float = Field(default=60, ge=5, le=3600)
    outbox_max_events: int = Field(default=10_000, ge=100, le=1_000_000)
    insecure: bool = Field(default=False, description="Allow a username and password without TLS (sent in clear); "
                           "reported in health. Only for a lab broker.")
    command_key_file: Path | None = Field(default=None, description="The back office's Ed25519 public key (PEM, "
                                          "from `kiosk keys generate`); without it every command is refused.")
    command_skew_s: int = Field(default=60, ge=0, le=600, description="Clock difference allowed on a command's "
                                "issued_at and expires_at.")
    command_rate_per_min: float = Field(default=30, gt=0, le=6000, description="Commands obeyed per minute "
                                        "after the burst.")
    command_burst: int = Field(default=10, ge=1, le=1000, description="Commands obeyed at once before the rate "
                               "applies.")
    remote_maintenance_s: int = Field(default=1800, ge=60, le=86_400, description="Remote maintenance ends by "
                                      "itself after this long unless another maintenance_on renews it.")

    def password(self) -> str | None:
        return os.environ.get(self.password_env) if self.password_env else None

    @field_validator("command_key_file")
    @classmethod
    def _usable_key(cls, path: Path | None) -> Path | None:
        if path is not None:
            from importlib.util import find_spec

            from wire.signing import KeyFileError, load_public_key

            if find_spec("cryptography") is None:  # it loads at the first command (wire.signing): fail now
                raise ValueError("signed commands need the cryptography package, which is not installed")
            try:
                load_public_key(path)
            except KeyFileError as exc:
                raise ValueError(str(exc)) from None
        return path

    @model_validator(mode="after")
    def _no_password_in_clear(self):
        if (self.username or self.password_env) and not (self.ca_file or self.cert_file) and not self.insecure:
            raise ValueError("username/password_env without ca_file would send the password "
                             "in clear: set ca_file (TLS), or insecure = true for a lab broker")
        return self


MIN_PIN_ITERATIONS = 100_000  # a 6-digit PIN space is 10^6: below this, a copied hash falls in minutes


class MaintenanceConfig(Strict):
    pin_hash: str | None = Field(default=None, pattern=r"^pbkdf2_sha256\$\d+\$[0-9a-f]+\$[0-9a-f]+$",
                                 description="From `kiosk maintenance hash-pin`; without it maintenance mode is off.")

    @field_validator("pin_hash")
    @classmethod
    def _slow_enough(cls, value: str | None) -> str | None:
        if value is not None and int(value.split("$")[1]) < MIN_PIN_ITERATIONS:
            raise ValueError(f"at least {MIN_PIN_ITERATIONS:,} PBKDF2 iterations are required; "
                             "make a new one with `kiosk maintenance hash-pin`")
        return value


JOURNAL_KEY_HEX = 64  # 32 bytes, as hex digits


class JournalConfig(Strict):
    """The key of the journal's citizen pseudonym, provisioned from outside the data partition.

    A key beside the journal makes the pseudonym reversible (a district and a
    birth year leave about 20 bits to try), so it comes from the fleet: an
    environment variable or a file such as a systemd credential. Without one
    the journal records no citizen at all.
    """

    key_env: str | None = Field(default=None, description="Environment variable holding the key (64 hex digits).")
    key_file: Path | None = Field(default=None, description="File holding the key (64 hex digits), outside var_dir's "
                                  "file system, e.g. /run/credentials/kiosk.service/journal-key (LoadCredential=).")

    @model_validator(mode="after")
    def _one_source(self) -> "JournalConfig":
        if self.key_env and self.key_file:
            raise ValueError("set key_env or key_file, not both")
        if self.key_file is not None and not self.key_file.is_absolute():
            raise ValueError("key_file must be an absolute path")
        return self

    def key(self, var_dir: Path) -> bytes | None:
        """The key, or None when none is configured; a configured key that is unusable is a ConfigError."""
        if self.key_env:
            text, where = os.environ.get(self.key_env), f"journal.key_env: ${self.key_env}"
            if text is None:
                raise ConfigError(f"{where}: not set")
        elif self.key_file:
            where = f"journal.key_file: {self.key_file}"
            try:
                if _same_file_system(self.key_file, var_dir):
                    raise ConfigError(f"{where}: on the same file system as var_dir ({var_dir}); the key must come "
                                      "from outside the data partition (e.g. LoadCredential=)")
                if self.key_file.stat().st_mode & 0o007:
                    raise ConfigError(f"{where}: readable or writable by every user; make it 0600 or 0640")
                text = self.key_file.read_text(encoding="ascii")
            except OSError as exc:
                raise ConfigError(f"{where}: cannot read: {exc.strerror}") from None
            except UnicodeDecodeError:
                text = ""
        else:
            return None
        text = text.strip()
        if len(text) != JOURNAL_KEY_HEX or any(c not in "0123456789abcdefABCDEF" for c in text):
            raise ConfigError(f"{where}: not a journal key: expected {JOURNAL_KEY_HEX} hex digits "
                              "(make one with `openssl rand -hex 32`)")
        return bytes.fromhex(text)


def _same_file_system(path: Path, var_dir: Path) -> bool:
    """Whether `path` lives on var_dir's file system (var_dir itself may not exist yet)."""
    probe = var_dir
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return path.stat().st_dev == probe.stat().st_dev


class KioskIdle(IdlePolicy):
    elderly_multiplier: float = Field(default=ELDERLY_MULTIPLIER, ge=1.0, le=5.0,
                                      description="Every wait (step limits, idle warning) is this much longer in "
                                      "elderly mode; a flow's accessibility.timeout_multiplier overrides it.")


class Config(Strict):
    kiosk: KioskInfo
    identity: IdentityConfig = Field(default_factory=IdentityConfig)
    flows: FlowsConfig = Field(default_factory=FlowsConfig)
    idle: KioskIdle = Field(default_factory=KioskIdle)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    devices: dict[str, DeviceConfig] = Field(default_factory=dict)
    services: dict[str, ServiceConfig] = Field(default_factory=dict)
    maintenance: MaintenanceConfig = Field(default_factory=MaintenanceConfig)
    journal: JournalConfig = Field(default_factory=JournalConfig)
    telemetry: TelemetryConfig = Field(default_factory=TelemetryConfig)
    aftercare: AftercarePolicy = Field(default_factory=AftercarePolicy, description="After a visit: the rating "
                                       "(好差评) and the ways on from a failure (docs/ui.md, After the visit).")
    var_dir: Path = Field(default=Path("/var/lib/kiosk"), description="Journals, queue counters, outbox.")


    def identity_card(self) -> dict[str, str]:
        """Every identity field with a value, [kiosk]'s name and hall included: the birth message's `identity`."""
        card = {"name": self.kiosk.name, "hall": self.kiosk.hall, **self.identity.model_dump()}
        return {k: v for k, v in card.items() if v}


class ConfigError(Exception):
    pass


def _names(model: type[BaseModel]) -> set[str]:
    out = set(model.model_fields)
    for f in model.model_fields.values():
        ann = f.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out |= _names(ann)
    return out | _names_nested()


def _names_nested() -> set[str]:
    out: set[str] = set()
    for m in (KioskInfo, FlowsConfig, LoggingConfig, ServiceConfig, IdlePolicy, MaintenanceConfig, TelemetryConfig,
              JournalConfig):
        out |= set(m.model_fields)
    return out


def load(path: str | Path | None = None) -> Config:
    path = Path(path) if path else DEFAULT_PATH
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return parse(data, str(path), base=path.parent)


TELEMETRY_FILES = ("ca_file", "cert_file", "key_file", "command_key_file")


def _rebase_telemetry(data: dict, base: Path) -> dict:
    """Telemetry's files relative to the configuration file, before validation: the command key is read there."""
    section = data.get("telemetry")
    if not isinstance(section, dict):
        return data
    fixed = {k: (str(base / v) if k in TELEMETRY_FILES and isinstance(v, str) and not Path(v).is_absolute() else v)
             for k, v in section.items()}
    return {**data, "telemetry": fixed}


def parse(data: dict, name: str = "kiosk.toml", base: Path | None = None) -> Config:
    """Validated, every problem one located line; backoffice/config.py parse() says why it has its own copy."""
    if base is not None:
        data = _rebase_telemetry(data, base)
    try:
        cfg = Config.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors(include_url=False):
            where = ".".join(str(p) for p in err["loc"])
            if err["type"] == "extra_forbidden":
                lines.append(f"{name}: {where}: unknown option{did_you_mean(str(err['loc'][-1]), _names(Config))}")
            elif err["type"] == "value_error":  # our own validators' words, without pydantic's prefix
                lines.append(f"{name}: {where}: {err['ctx']['error']}")
            else:
                lines.append(f"{name}: {where}: {err['msg']}")
        raise ConfigError("\n".join(lines)) from None
    if base is not None:  # relative paths are relative to the configuration file
        if not cfg.flows.path.is_absolute():
            cfg = cfg.model_copy(update={"flows": FlowsConfig(path=(base / cfg.flows.path).resolve())})
        if not cfg.var_dir.is_absolute():
            cfg = cfg.model_copy(update={"var_dir": (base / cfg.var_dir).resolve()})
        devices = {}
        for role, dc in cfg.devices.items():  # path-like driver options too
            opts = {k: (str((base / v).resolve()) if k.endswith(("_dir", "_file", "_path")) and isinstance(v, str)
                        and not v.startswith("/") else v) for k, v in dc.options().items()}
            devices[role] = DeviceConfig(driver=dc.driver, **opts)
        services = {name: sc.model_copy(update={k: base / getattr(sc, k) for k in ("token_file", "ca_file")
                                                if getattr(sc, k) is not None and not getattr(sc, k).is_absolute()})
                    for name, sc in cfg.services.items()}
        cfg = cfg.model_copy(update={"devices": devices, "services": services})
    return cfg
