"""Hub settings (``TELECABINE_HUB_<NAME>`` environment variables, or CLI flags on top).

Secrets (TURN shared secret, admin token) come from the environment or from a file named by
``*_file`` settings (e.g. a Docker/systemd secret), never from the repository.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from telecabine.config import default_data_dir


class HubSettings(BaseSettings):
    """Every hub option, documented once; defaults work for a local trial."""

    model_config = SettingsConfigDict(
        env_prefix="TELECABINE_HUB_", env_file=".env", extra="ignore", validate_default=True
    )

    host: str = Field(default="127.0.0.1", description="Address to listen on.")
    port: int = Field(default=8000, ge=0, le=65535, description="TCP port (0 = any free port).")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://... "
        "Default: hub.db in the data directory.",
    )
    data_dir: Path = Field(default_factory=default_data_dir, description="Default DB location.")
    cert_file: Path | None = Field(default=None, description="TLS certificate (PEM) -> HTTPS.")
    key_file: Path | None = Field(default=None, description="TLS private key (PEM).")

    stun_urls: list[str] = Field(
        default_factory=list, description='STUN servers, e.g. ["stun:turn.example.org:3478"].'
    )
    turn_urls: list[str] = Field(
        default_factory=list,
        description='coturn URLs, e.g. ["turn:turn.example.org:3478?transport=udp"].',
    )
    turn_secret: SecretStr | None = Field(
        default=None, description="coturn static-auth-secret (REST API credentials)."
    )
    turn_secret_file: Path | None = Field(default=None, description="File holding turn_secret.")
    turn_ttl_s: int = Field(default=3600, ge=60, description="Lifetime of TURN credentials.")
    force_relay: bool = Field(
        default=False,
        description="Every call through the TURN relay: the doctor's browser and the station "
        'use relay candidates only (iceTransportPolicy "relay"; networks that block UDP '
        "between peers, or to keep peers' addresses private). Needs TURN_URLS and TURN_SECRET.",
    )

    admin_token: SecretStr | None = Field(
        default=None, description="Bearer token for the operator's billing export (scripts)."
    )
    admin_token_file: Path | None = Field(default=None, description="File holding admin_token.")

    session_ttl_s: int = Field(default=12 * 3600, ge=60, description="Doctor session lifetime.")
    login_max_failures: int = Field(
        default=5,
        ge=1,
        description="Free sign-in attempts per user name and address before back-off delays.",
    )
    login_ip_free: int = Field(
        default=30, ge=1, description="Free sign-in attempts per address (any user name)."
    )
    login_user_free: int = Field(
        default=100,
        ge=1,
        description="Free sign-in attempts per user name from all addresses (distributed guess).",
    )
    login_backoff_base_s: float = Field(default=2.0, gt=0, description="First back-off delay.")
    login_backoff_cap_s: float = Field(default=900.0, gt=0, description="Longest delay.")
    login_window_s: int = Field(
        default=1800, ge=1, description="Sign-in failures are forgotten after this quiet time."
    )
    hash_workers: int = Field(
        default=1,
        ge=1,
        description="Threads verifying passwords (Argon2id runs off the event loop).",
    )
    hash_queue_max: int = Field(
        default=64, ge=1, description="Sign-ins waiting for a hash thread before 503."
    )
    header_timeout_s: float = Field(
        default=10.0, gt=0, description="Time allowed to send a request's line and headers."
    )
    body_timeout_s: float = Field(
        default=30.0, gt=0, description="Time allowed to send a request body."
    )
    keepalive_timeout_s: float = Field(
        default=30.0, gt=0, description="Idle keep-alive connections are closed after this."
    )
    max_connections_per_ip: int = Field(
        default=128, ge=1, description="Open connections per client address."
    )
    max_connections: int = Field(
        default=8192,
        ge=16,
        description="Open connections in all (also capped below the process's file limit).",
    )
    max_sockets_per_station: int = Field(
        default=4, ge=1, description="Signaling sockets per station token (per instance)."
    )
    max_sockets_per_session: int = Field(
        default=8, ge=1, description="Signaling sockets per doctor session (per instance)."
    )
    announces_per_minute: int = Field(
        default=60, ge=1, description="Announces per station per minute (all instances)."
    )
    session_check_s: float = Field(
        default=5.0,
        gt=0,
        description="How often an open doctor/station socket re-checks its session or token.",
    )
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="Extra browser origins allowed (behind a proxy); the hub's own is implied.",
    )
    max_body_bytes: int = Field(default=256 * 1024, description="Largest HTTP request body.")
    signaling: bool = Field(
        default=True,
        description="This instance serves the signaling sockets; at start-up it then drops the "
        "waiting room's leftovers (stations re-announce and keep their place).",
    )
    ws_rate_per_s: float = Field(
        default=50.0, gt=0, description="Signaling messages per second allowed per socket."
    )
    ws_burst: int = Field(default=200, ge=1, description="Burst of messages allowed per socket.")
    bus: bool | None = Field(
        default=None,
        description="Fan signaling out to other instances through PostgreSQL LISTEN/NOTIFY "
        "(default: on with PostgreSQL, off with SQLite).",
    )
    disconnect_grace_s: float = Field(
        default=30.0,
        ge=0,
        description="How long a call survives its doctor's or station's signaling socket "
        "dropping (media is peer-to-peer and may still flow) before the other side is told.",
    )

    # --- fleet: presence, alerts (issues 15.4, 20) ------------------------------------------
    presence_window_s: float = Field(
        default=60.0,
        gt=0,
        description="A station is online when its heartbeat or signaling "
        "socket was seen within this many seconds.",
    )
    monitor_interval_s: float = Field(
        default=15.0,
        gt=0,
        description="How often the hub refreshes socket presence and checks "
        "for offline cabins and failing equipment (alerts).",
    )
    heartbeat_history_every_s: float = Field(
        default=300.0,
        ge=0,
        description="A heartbeat is kept in the cabin's history at most "
        "this often (and whenever its equipment or version changes).",
    )
    heartbeat_history_keep: int = Field(
        default=288, ge=1, description="Heartbeats kept per cabin (older ones are pruned)."
    )
    offline_alert_after_s: float = Field(
        default=300.0, ge=0, description="E-mail when a cabin has been offline this long."
    )
    billing_stale_after_s: float = Field(
        default=24 * 3600.0, gt=0, description="Fleet page: billing not synced for this long."
    )
    fleet_min_version: str | None = Field(
        default=None, description='Fleet page: versions older than this are "old", e.g. "1.4".'
    )
    alert_to: list[str] = Field(
        default_factory=list, description="Addresses that receive fleet alerts (none: no mail)."
    )
    alert_from: str = Field(default="telecabine-hub@localhost", description="Alert sender.")
    smtp_host: str | None = Field(default=None, description="SMTP server for fleet alerts.")
    smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP port.")
    smtp_starttls: bool = Field(default=True, description="Upgrade the SMTP link (STARTTLS).")
    smtp_username: str | None = Field(default=None, description="SMTP login, if required.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
    smtp_password_file: Path | None = Field(default=None, description="File holding it.")
    smtp_timeout_s: float = Field(default=10.0, gt=0, description="SMTP timeout.")

    public_url: str | None = Field(
        default=None,
        description="The hub's address as doctors reach it (https://hub.example.org): invitation "
        "links use it, never localhost unless it is set so.",
    )
    invite_smtp_host: str | None = Field(
        default=None, description="Mail relay for invitations and reminders (none = not sent)."
    )
    invite_smtp_port: int = Field(default=587, ge=1, le=65535, description="Mail relay port.")
    invite_smtp_security: str = Field(
        default="starttls", description="starttls, tls (implicit) or none (loopback relay only)."
    )
    invite_smtp_sender: str = Field(
        default="no-reply@localhost", description="From address of invitations and reminders."
    )
    invite_smtp_ca_bundle: Path | None = Field(
        default=None, description="CA bundle of the relay's certificate (else the system's)."
    )
    invite_code_secret: SecretStr | None = Field(
        default=None,
        description="Key for the invitation codes' HMAC (random per start when unset: codes then "
        "do not survive a restart).",
    )
    invite_max_code_attempts: int = Field(
        default=20, ge=1, description="Wrong codes before an invitation link is locked."
    )

    @model_validator(mode="after")
    def _cert_and_key_together(self) -> HubSettings:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError(
                "Certificat et clé TLS vont ensemble / TLS certificate and key go together"
            )
        return self

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'hub.db'}"

    def secret(self, name: str) -> str | None:
        """A secret from its env setting or its ``*_file`` setting (file content, stripped)."""
        value: SecretStr | None = getattr(self, name)
        if value is not None:
            return value.get_secret_value()
        path: Path | None = getattr(self, f"{name}_file")
        if path is not None:
            return path.read_text(encoding="utf-8").strip()
        return None

    @property
    def tls(self) -> bool:
        """True when the hub serves HTTPS."""
        return self.cert_file is not None and self.key_file is not None
