"""Database key management: a random 256-bit key kept in the OS keyring.

The key is a *raw* SQLCipher key (``PRAGMA key = "x'<64 hex>'"``), so opening a connection does
no PBKDF2 work. It lives in the OS keyring (Windows Credential Manager, Secret Service on Linux)
under service ``telecabine`` and the absolute database path as user name. When the machine has no
secure keyring (headless CI, a bare kiosk), a clearly named plaintext file in the data directory
is used **only** if ``Settings.insecure_file_keyring`` is set; the store then carries a warning
that the UI and ``telecabine check`` show.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from telecabine.store.errors import KeyringUnavailableError

SERVICE = "telecabine"
INSECURE_KEY_FILENAME = "INSECURE-dev-keyring.json"
_HEX_KEY = re.compile(r"^[0-9a-f]{64}$")

INSECURE_WARNING_FR = (
    "Clé de la base conservée dans un fichier non protégé ({path}) : "
    "à n'utiliser qu'en test ou démonstration."
)
INSECURE_WARNING_EN = (
    "Database key kept in an unprotected file ({path}): use for tests or demos only."
)


def new_key() -> str:
    """A fresh random 256-bit key as 64 lowercase hex characters."""
    return secrets.token_hex(32)


def raw_key_pragma_value(hex_key: str) -> str:
    """The SQLCipher raw-key literal ``x'<hex>'`` (validated, so it cannot inject SQL)."""
    if not _HEX_KEY.match(hex_key):
        raise ValueError("database key must be 64 lowercase hex characters")
    return f"x'{hex_key}'"


class KeyStore(Protocol):
    """Where the database key lives; ``warning`` is None for a secure store."""

    warning: tuple[str, str] | None

    def get(self, account: str) -> str | None:
        """The stored key for ``account`` or None."""
        ...

    def set(self, account: str, hex_key: str) -> None:
        """Store (or replace) the key for ``account``."""
        ...


class OsKeyStore:
    """The OS keyring through the ``keyring`` package."""

    warning: tuple[str, str] | None = None

    def get(self, account: str) -> str | None:
        """The stored key for ``account`` or None."""
        import keyring

        return keyring.get_password(SERVICE, account)

    def set(self, account: str, hex_key: str) -> None:
        """Store (or replace) the key for ``account``."""
        import keyring

        keyring.set_password(SERVICE, account, hex_key)


@dataclass
class InsecureFileKeyStore:
    """Plaintext JSON file (mode 0600) used only when explicitly enabled; says so loudly."""

    path: Path

    @property
    def warning(self) -> tuple[str, str]:
        """Bilingual warning shown on screen and by ``telecabine check``."""
        return (
            INSECURE_WARNING_FR.format(path=self.path),
            INSECURE_WARNING_EN.format(path=self.path),
        )

    def _load(self) -> dict[str, str]:
        if not self.path.exists():
            return {}
        return json.loads(self.path.read_text(encoding="utf-8"))

    def get(self, account: str) -> str | None:
        """The stored key for ``account`` or None."""
        return self._load().get(account)

    def set(self, account: str, hex_key: str) -> None:
        """Store (or replace) the key for ``account``, atomically, file private to the user."""
        data = self._load()
        data[account] = hex_key
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        os.chmod(self.path, 0o600)


def secure_keyring_available() -> bool:
    """True when ``keyring`` has a real OS backend (not fail/null, not keyrings.alt plaintext)."""
    import keyring

    backend = keyring.get_keyring()
    backends = getattr(backend, "backends", None)  # ChainerBackend wraps several
    candidates = list(backends) if backends is not None else [backend]
    return any(_is_secure_backend(b) for b in candidates)


def _is_secure_backend(backend: object) -> bool:
    module = type(backend).__module__
    # keyrings.alt stores keys in plain or weakly protected files; fail/null store nothing.
    insecure_prefixes = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")
    return not module.startswith(insecure_prefixes)


def choose_key_store(data_dir: Path, insecure_file_allowed: bool) -> KeyStore:
    """The secure OS keyring when present, else the file fallback if allowed, else a clear error."""
    if secure_keyring_available():
        return OsKeyStore()
    if insecure_file_allowed:
        return InsecureFileKeyStore(data_dir / INSECURE_KEY_FILENAME)
    raise KeyringUnavailableError(
        "Aucun trousseau sécurisé (Secret Service, Gestionnaire d'identification Windows) "
        "n'est disponible pour protéger la clé de la base. Installez-en un, ou, pour un test "
        "uniquement, définissez TELECABINE_INSECURE_FILE_KEYRING=1.",
        "No secure OS keyring (Secret Service, Windows Credential Manager) is available to "
        "hold the database key. Install one, or for testing only set "
        "TELECABINE_INSECURE_FILE_KEYRING=1.",
    )


def key_storage_warning(data_dir: Path, insecure_file_allowed: bool) -> tuple[str, str] | None:
    """(French, English) warning for ``telecabine check`` without opening the database.

    None when a secure OS keyring holds the key; the insecure-file warning when that fallback is
    in use; the "no keyring" message when the station could not start at all.
    """
    try:
        store = choose_key_store(data_dir, insecure_file_allowed)
    except KeyringUnavailableError as exc:
        return exc.message_fr, exc.message_en
    return store.warning
