"""Start-up checks: what the configuration points at, found before a device is opened or a window drawn.

:func:`kiosk.config.load` checks what the file says; this checks what it names: the
drivers exist and take the options given, the files can be read, ``var_dir`` can be
written, every promised token is there, and the flow bundle offers at least one flow.
Each problem is one line naming the option, so the operator fixes it without reading a
traceback, and a kiosk with such a problem exits before it ever reports ready.
``kiosk check-config`` runs the same checks without a display.
"""
from __future__ import annotations

import ssl
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from devices import registry
from devices.base import Device
from devices.errors import ConfigError as DeviceConfigError
from kiosk.config import Config, ConfigError, DeviceConfig, MissingCredential
from kiosk.flow.bundle import Bundle, load_bundle


class StartupError(Exception):
    """Every problem found, one located line each."""


@dataclass
class Prepared:
    """What the checks built and the runtime goes on with: devices constructed, none opened."""

    devices: dict[str, Device]
    bundle: Bundle | None  # the flow bundle the check loaded: the runtime activates it instead of loading it again
    journal_key: bytes | None  # None: the journal records no citizen column

    @property
    def flows(self) -> int:
        return len(self.bundle.flows) if self.bundle is not None else 0


def prepare(cfg: Config, source: str = "kiosk.toml") -> Prepared:
    """All checks, all problems at once; raises StartupError with one line per problem, each led by `source`."""
    problems = _var_dir(cfg.var_dir) + _files(cfg) + _credentials(cfg)
    devices = _devices(cfg, problems)
    bundle = _flows(cfg.flows.path, problems)
    journal_key = _journal_key(cfg, problems)
    if problems:
        raise StartupError("\n".join(f"{source}: {p}".replace("\n", " ") for p in problems))
    return Prepared(devices, bundle, journal_key)


def _journal_key(cfg: Config, problems: list[str]) -> bytes | None:
    """A configured key that cannot be used stops the start: a silent new key would unlink every pseudonym."""
    try:
        return cfg.journal.key(cfg.var_dir)
    except ConfigError as exc:
        problems.append(str(exc))
        return None


def _var_dir(var_dir: Path) -> list[str]:
    if var_dir.exists() and not var_dir.is_dir():
        return [f"var_dir: {var_dir} is not a directory"]
    try:
        var_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=var_dir):
            pass
    except OSError as exc:
        return [f"var_dir: cannot create or write {var_dir}: {exc.strerror or exc}"]
    return []


def _readable(option: str, path: Path | None) -> list[str]:
    if path is None:
        return []
    try:
        with open(path, "rb"):
            return []
    except OSError as exc:
        return [f"{option}: cannot read {path}: {exc.strerror or exc}"]


def _files(cfg: Config) -> list[str]:
    out = []
    for name, svc in cfg.services.items():
        found = _readable(f"services.{name}.ca_file", svc.ca_file)
        if not found and svc.ca_file is not None:
            try:
                ssl.create_default_context(cafile=str(svc.ca_file))
            except (ssl.SSLError, ValueError):
                found = [f"services.{name}.ca_file: {svc.ca_file} holds no PEM certificate"]
        out += found
    for option in ("ca_file", "cert_file", "key_file"):  # the MQTT connection's TLS material
        out += _readable(f"telemetry.{option}", getattr(cfg.telemetry, option, None))
    return out


def _credentials(cfg: Config) -> list[str]:
    out = []
    for name, svc in cfg.services.items():
        try:
            svc.credential()
        except MissingCredential as exc:
            out.append(f"services.{name}.{exc.option}: {exc}")
            continue
        if svc.token_file is not None and svc.token_file.stat().st_mode & 0o007:
            mode = stat.S_IMODE(svc.token_file.stat().st_mode)
            out.append(f"services.{name}.token_file: {svc.token_file} can be read by every user (mode {mode:04o}); "
                       "make it 0600 or 0640")
    return out


def build_device(role: str, dc: DeviceConfig) -> Device:
    """The role's driver, constructed, not opened; StartupError naming the option when the configuration is wrong."""
    try:
        return registry.build(role, role, dc.driver, **dc.options())
    except registry.UnknownDriver as exc:
        raise StartupError(f"devices.{role}.driver: {exc}") from None
    except DeviceConfigError as exc:
        raise StartupError(f"devices.{role}: {str(exc).removeprefix(f'{role}: ')}") from None


def _devices(cfg: Config, problems: list[str]) -> dict[str, Device]:
    devices = {}
    for role, dc in cfg.devices.items():
        try:
            devices[role] = build_device(role, dc)
        except StartupError as exc:
            problems.append(str(exc))
    return devices


def _flows(root: Path, problems: list[str]) -> Bundle | None:
    if not root.is_dir():
        problems.append(f"flows.path: {root} is not a directory" if root.exists() else
                        f"flows.path: {root} does not exist")
        return None
    try:
        bundle = load_bundle(root)
    except OSError as exc:  # a folder in the bundle the kiosk user may not enter
        problems.append(f"flows.path: cannot read {exc.filename or root}: {exc.strerror or exc}")
        return None
    if bundle.flows:
        return bundle
    errors = [p for p in bundle.problems if p.severity == "error"]
    if errors:
        problems.append(f"flows.path: no flow in {root} loads ({len(errors)} error(s), the first: {errors[0]}; "
                        f"`kiosk flows check {root}` lists them all)")
    else:
        problems.append(f"flows.path: {root} holds no flow")
    return None
