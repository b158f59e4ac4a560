"""One typed settings object for the station and the hub.

Every option is documented once, here. Values come from (highest first): command-line flags
that the CLI passes in, ``TELECABINE_<NAME>`` environment variables, a ``.env`` file in the
working directory, then the defaults below (which work out of the box).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

APP_NAME = "telecabine"


def default_data_dir() -> Path:
    """Per-user data directory (``~/.local/share/telecabine`` on Linux, AppData on Windows)."""
    return Path(user_data_dir(APP_NAME, appauthor=False))


class Settings(BaseSettings):
    """Station and hub settings; ``TELECABINE_`` + upper-case field name overrides each one."""

    model_config = SettingsConfigDict(
        env_prefix="TELECABINE_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    # --- general -------------------------------------------------------------------------
    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Where the encrypted database, logs and printed documents live.",
    )
    language: Literal["fr", "en"] = Field(
        default="fr", description="User interface language at start-up (switchable at run time)."
    )
    kiosk: bool = Field(
        default=False, description="Full-screen kiosk mode (no window decorations)."
    )
    large_text: bool = Field(
        default=False,
        description="Large-text mode at start-up (about 1.4x type); switchable at run time.",
    )
    high_contrast: bool = Field(
        default=False,
        description="High-contrast theme (yellow and white on black) at start-up; switchable.",
    )
    speech_guidance: bool = Field(
        default=True,
        description="Say each measurement step's instructions aloud (espeak-ng on Linux, "
        "SAPI on Windows); switchable at run time.",
    )
    simulated_devices: bool = Field(
        default=False,
        description="Use the simulated twin of every device (demo mode and tests).",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Minimum level written to the log file."
    )

    # --- store ---------------------------------------------------------------------------
    db_filename: str = Field(
        default="telecabine.db", description="Database file name inside data_dir."
    )
    insecure_file_keyring: bool = Field(
        default=False,
        description="When no OS keyring exists, keep the DB key in a plaintext file "
        "(INSECURE-dev-keyring.json in data_dir). Tests and demos only; the station warns.",
    )
    retention_days: int = Field(
        default=30,
        ge=1,
        description="Synced encounters older than this are purged locally (unsynced: never).",
    )
    idle_lock_seconds: int = Field(
        default=120,
        ge=15,
        description="Idle time after which the station locks and hides all patient data.",
    )

    # --- hub connection (station side) -----------------------------------------------------
    hub_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Base URL of the operator's hub (signaling, billing ingest).",
    )
    station_id: str = Field(
        default="cabine-demo", description="Name of this cabin as registered on the hub."
    )
    hub_ca_bundle: Path | None = Field(
        default=None,
        description="PEM file of the certificate authorities trusted for the hub (operator CA "
        "or a self-signed hub certificate); empty = the system's trusted authorities.",
    )
    hub_probe_interval_s: float = Field(
        default=30.0, gt=0,
        description="How often the station checks it can reach the hub (call status line, s).",
    )  # fmt: skip
    ice_relay_only: bool = Field(
        default=False,
        description="Calls through the hub's TURN relay only (relay ICE candidates): for a "
        "network that blocks direct UDP between the cabin and the doctor.",
    )
    sync_timeout_s: float = Field(
        default=10.0, gt=0, description="Billing sync: timeout of one upload request (s)."
    )
    sync_concurrency: int = Field(
        default=12, ge=1, le=64, description="Billing sync: uploads in flight at once."
    )
    heartbeat_interval_s: float = Field(
        default=20.0,
        gt=0,
        le=50,
        description="Presence: seconds between heartbeats to the hub (the hub's online window "
        "is 60 s: keep it well under that).",
    )

    # --- Bluetooth LE vitals devices -------------------------------------------------------
    ble_pairing_filename: str = Field(
        default="ble_pairing.json",
        description="Device remembered per role (addresses only, no patient data), in data_dir.",
    )
    ble_devices: dict[str, str] = Field(
        default_factory=dict,
        description="Device address per role set by the installer, e.g. "
        '{"spo2": "AA:BB:CC:DD:EE:FF"}; a pairing made at the station (JSON file) wins.',
    )
    ble_scan_timeout_s: float = Field(
        default=5.0, gt=0, description="How long a BLE scan for vitals devices lasts."
    )
    ble_connect_timeout_s: float = Field(
        default=10.0, gt=0, description="Time allowed to connect to a BLE device."
    )
    ble_measurement_timeout_s: float = Field(
        default=90.0, gt=0, description="Time allowed for one measurement (cuff inflation...)."
    )
    ble_vendor_modules: list[str] = Field(
        default_factory=list,
        description="Python modules with a register(registry) adding vendor BLE adapters.",
    )
    ble_simulated_scenario: Literal[
        "normal", "fever", "hypertension", "low_spo2", "device_error", "disconnect"
    ] = Field(
        default="normal",
        description="Simulated BLE devices' behaviour: normal, fever, hypertension, low_spo2, "
        "device_error, disconnect.",
    )

    # --- domain rules data (effective-dated; operators may ship corrected copies) ---------
    parcours_rules_path: Path | None = Field(
        default=None,
        description="JSON file replacing the packaged parcours de soins rules "
        "(telecabine/domain/data/parcours_rules.json); empty = packaged copy.",
    )
    tariffs_path: Path | None = Field(
        default=None,
        description="JSON file replacing the packaged tariffs, rates and caps "
        "(telecabine/domain/billing/data/tariffs.json); empty = packaged copy.",
    )

    # --- cameras, audio, equipment check (devices/registry.py, services/preflight.py) ------
    camera_room: str | None = Field(
        default="0",
        description="Room camera: device index, /dev/videoN, a video file path or sim:<role>.",
    )
    camera_otoscope: str | None = Field(default=None, description="Otoscope camera (as above).")
    camera_dermatoscope: str | None = Field(
        default=None, description="Dermatoscope camera (as above)."
    )
    camera_document: str | None = Field(default=None, description="Document camera (as above).")
    camera_width: int = Field(default=1280, ge=320, description="Requested capture width.")
    camera_height: int = Field(default=720, ge=240, description="Requested capture height.")
    camera_fps: float = Field(default=30.0, gt=0, description="Requested capture frame rate.")
    video_frozen_after_s: float = Field(
        default=3.0, gt=0, description="Identical pictures for this long = camera frozen."
    )
    video_black_luma: float = Field(
        default=12.0, ge=0, description="Mean luma (0-255) below which a picture is black."
    )
    audio_input: str | None = Field(
        default=None, description="Microphone: PortAudio name (or part of it), index, or sim."
    )
    audio_output: str | None = Field(default=None, description="Speaker (as above).")
    stethoscope_device: str | None = Field(
        default=None, description="Stethoscope input (as above); None = no stethoscope."
    )
    stethoscope_gain: float = Field(default=4.0, gt=0, le=64, description="Stethoscope gain.")
    stethoscope_mode: Literal["heart", "lung"] = Field(
        default="heart", description="Band-pass: heart 20-200 Hz or lung 100-1000 Hz."
    )
    device_choices_filename: str = Field(
        default="devices.json",
        description="Camera/audio choices made on the equipment screen (no patient data).",
    )
    preflight_min_fps: float = Field(default=15.0, gt=0, description="Camera fps below = warning.")
    preflight_mic_min_dbfs: float = Field(
        default=-50.0, description="Microphone level the user's voice must reach (dBFS RMS)."
    )
    preflight_listen_s: float = Field(
        default=3.0, gt=0, description="How long the check listens to the microphone."
    )
    preflight_min_free_mb: int = Field(
        default=500, ge=0, description="Free space in data_dir below which the check fails."
    )
    preflight_max_clock_skew_s: float = Field(
        default=120.0, gt=0, description="Clock difference with the hub above = warning."
    )

    # --- video consultation (session/, services/consultation.py) ---------------------------
    station_token: str | None = Field(
        default=None,
        description="Bearer token given to this station when it was registered on the hub "
        "(secret: keep it in the environment or .env, never in a shared file).",
        repr=False,
    )
    call_max_height: int = Field(
        default=720, ge=240, le=1080,
        description="Highest video resolution sent to the doctor (lines); lower on slow PCs.",
    )  # fmt: skip
    printer_name: str | None = Field(
        default=None,
        description="Printer for prescriptions; none = the system default, or a PDF file in "
        "data_dir/printed when no printer is installed.",
    )

    ehpad_mode: bool = Field(
        default=False,
        description="EHPAD mode: the residents list (room, médecin traitant, consent on file) "
        "is where consultations start.",
    )

    # --- report to the médecin traitant (SMTP, e.g. an MSSanté operator) -------------------
    smtp_host: str | None = Field(
        default=None,
        description="Mail relay for the reports to the médecin traitant (MSSanté operator or "
        "the pharmacy's provider); none = reports are queued and wait for one.",
    )
    smtp_port: int = Field(default=587, ge=1, le=65535, description="Mail relay port.")
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        default="starttls",
        description="starttls (port 587), tls (implicit, port 465), none (loopback relay only).",
    )
    smtp_sender: str = Field(
        default="telecabine@localhost", description="From address of the report e-mails."
    )
    smtp_username: str | None = Field(
        default=None,
        description="Relay login, if any (its password: `telecabine reports --set-password`, "
        "kept in the OS keyring).",
    )
    smtp_ca_bundle: Path | None = Field(
        default=None, description="CA bundle that signs the relay's certificate (else system)."
    )
    smtp_client_cert: Path | None = Field(
        default=None,
        description="Client certificate (PEM) for relays that authenticate the sending system.",
    )
    smtp_client_key: Path | None = Field(
        default=None, description="Private key (PEM) of smtp_client_cert, if separate."
    )

    @property
    def db_path(self) -> Path:
        """Absolute path of the station database file."""
        return self.data_dir / self.db_filename

    @property
    def ble_pairing_path(self) -> Path:
        """JSON file remembering the paired BLE device per role."""
        return self.data_dir / self.ble_pairing_filename

    def ensure_dirs(self) -> None:
        """Create the data directory (private to the user) if it does not exist."""
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)


SECRET_FIELDS = frozenset({"station_token"})


def describe_settings() -> list[dict[str, str]]:
    """Every option once: name, environment variable, default and description (docs, CLI).

    Generated from the fields above, so the list cannot drift from the code; secrets show no
    value, and ``data_dir`` shows the platform default rather than this machine's path.
    """
    rows = []
    for name, info in Settings.model_fields.items():
        if name == "data_dir":
            default = "platformdirs user data dir / telecabine"
        elif name in SECRET_FIELDS:
            default = "(secret)"
        else:
            value = info.get_default(call_default_factory=True)
            default = "" if value is None else str(value)
        rows.append(
            {
                "name": name,
                "env": f"TELECABINE_{name.upper()}",
                "default": default,
                "description": info.description or "",
            }
        )
    return rows


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides (e.g. CLI flags) on top."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)
