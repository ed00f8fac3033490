"""backoffice.toml [alerts]: the rules' thresholds and where notifications go, validated once at start."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator

from backoffice.alerts.rules import RULES


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Webhook(_Section):
    url: HttpUrl = Field(description="Receives a JSON POST per alert raised or cleared.")
    secret_env: str | None = Field(default=None, description="Environment variable holding the HMAC-SHA256 key; "
                                                            "unset: the X-Kiosk-Signature header is left out.")
    timeout_s: float = Field(default=5.0, gt=0, le=60)
    retries: int = Field(default=3, ge=0, le=10, description="Further attempts after a failure, backing off 1, 2, 4 s.")


class Mailbox(_Section):
    to: list[str] = Field(min_length=1, description="Recipients of one e-mail per alert raised or cleared.")


class Smtp(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=25, ge=1, le=65535)
    starttls: bool = False
    username: str | None = None
    password_env: str | None = Field(default=None, description="Environment variable holding the password.")
    sender: str = "kiosk-alerts@localhost"
    timeout_s: float = Field(default=10.0, gt=0, le=120)
    retries: int = Field(default=2, ge=0, le=10)


class AlertsConfig(_Section):
    enabled: bool = Field(default=True, description="false: no rule is evaluated, no alert raised or sent.")
    disabled_rules: list[str] = Field(default_factory=list, description="Rules never raised, by name.")
    evaluate_interval_s: float = Field(default=30.0, ge=1, le=3600,
                                       description="The timer: heartbeat age and a full reconcile of every kiosk.")
    offline_minutes: float = Field(default=10.0, gt=0, description="offline: nothing heard for this long.")
    offline_after_clean_stop: bool = Field(default=True, description="false: a kiosk that stopped cleanly (state "
                                           "disconnected, e.g. switched off at closing time) raises no offline alert.")
    restart_loop_births: int = Field(default=3, ge=2, description="restart_loop: this many starts ...")
    restart_loop_minutes: float = Field(default=10.0, gt=0, description="... within this many minutes.")
    disk_low_mib: int = Field(default=500, ge=0, description="disk_low: less free space than this on the data disk.")
    printer_roles: list[str] = Field(default=["*printer*", "ticket_dispenser"],
                                     description="Device roles (glob) whose faults raise printer_error.")
    reader_roles: list[str] = Field(default=["*reader*", "*scanner*"],
                                    description="Device roles (glob) whose faults raise reader_error.")
    notify_interval_s: float = Field(default=900.0, ge=0,
                                     description="At most one notification per kiosk and rule in this time.")
    notify_max_per_minute: int = Field(default=60, ge=1, description="Per target; beyond it notices are dropped "
                                                                      "and counted (an alert storm).")
    keep_days: float = Field(default=180, gt=0, description="Ended alerts (cleared, or acknowledged events) are "
                             "deleted this long after their last change; active ones are always kept.")
    webhooks: dict[str, Webhook] = Field(default_factory=dict, description="Named webhook targets.")
    mailboxes: dict[str, Mailbox] = Field(default_factory=dict, description="Named e-mail targets.")
    smtp: Smtp = Field(default_factory=Smtp)
    routes: dict[str, list[str]] = Field(default_factory=dict, description='Hall or region -> target names; '
                                         '"*" for every alert. A notice goes to the union of its hall, region and "*".')

    @model_validator(mode="after")
    def _names_exist(self) -> "AlertsConfig":
        unknown = sorted(set(self.disabled_rules) - set(RULES))
        if unknown:
            raise ValueError(f"disabled_rules: unknown rule {unknown[0]!r} (rules: {', '.join(RULES)})")
        both = set(self.webhooks) & set(self.mailboxes)
        if both:
            raise ValueError(f"target {sorted(both)[0]!r} is both a webhook and a mailbox")
        targets = set(self.webhooks) | set(self.mailboxes)
        for where, names in self.routes.items():
            for name in names:
                if name not in targets:
                    raise ValueError(f"routes.{where}: no webhook or mailbox named {name!r}")
        return self
