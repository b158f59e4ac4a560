"""SMTP delivery of one message to the operator's mail relay (an MSSanté operator or the
pharmacy's provider): STARTTLS or implicit TLS, server certificate verified (system CAs or an
operator CA bundle), optional client certificate (MSSanté operators authenticate the sending
system with one) and optional login.

Blocking (``smtplib``): callers run it in a worker thread. Failures are sorted into
:class:`MailDeferred` (try again later: relay unreachable, timeout, TLS problem, 4xx) and
:class:`MailRefused` (5xx: the relay will never take this message as it is).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Literal

Security = Literal["starttls", "tls", "none"]
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class MailError(Exception):
    """Base of delivery failures; ``str()`` is a short technical reason (no patient data)."""


class MailDeferred(MailError):
    """Not delivered now; the same message may go through later."""


class MailRefused(MailError):
    """Refused for good by the relay (5xx)."""


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to hand messages over."""

    host: str
    port: int = 587
    security: Security = "starttls"
    sender: str = "telecabine@localhost"
    username: str | None = None
    password: str | None = None
    ca_bundle: Path | None = None
    client_cert: Path | None = None
    client_key: Path | None = None
    timeout_s: float = 30.0

    def __post_init__(self) -> None:
        if self.security == "none" and self.host not in LOOPBACK:
            raise ValueError("SMTP without TLS is only allowed to a loopback relay")

    def __repr__(self) -> str:  # never print the password
        return f"SmtpConfig(host={self.host!r}, port={self.port}, security={self.security!r})"

    def tls_context(self) -> ssl.SSLContext:
        """Verifying context (hostname + chain), with the client certificate when configured."""
        ctx = ssl.create_default_context(cafile=str(self.ca_bundle) if self.ca_bundle else None)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        if self.client_cert is not None:
            ctx.load_cert_chain(
                str(self.client_cert), str(self.client_key) if self.client_key else None
            )
        return ctx


def send_message(config: SmtpConfig, message: EmailMessage) -> None:
    """Deliver ``message`` to the relay or raise :class:`MailDeferred` / :class:`MailRefused`."""
    try:
        ctx = config.tls_context() if config.security != "none" else None
        if config.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                config.host, config.port, timeout=config.timeout_s, context=ctx
            )
        else:
            client = smtplib.SMTP(config.host, config.port, timeout=config.timeout_s)
        with client:
            client.ehlo()
            if config.security == "starttls":
                if not client.has_extn("starttls"):
                    raise MailDeferred("relay does not offer STARTTLS")
                client.starttls(context=ctx)
                client.ehlo()
            if config.username:
                client.login(config.username, config.password or "")
            refused = client.send_message(message)
            if refused:
                raise MailRefused(f"recipient refused: {sorted(refused.values())[0][0]}")
    except MailError:
        raise
    except smtplib.SMTPRecipientsRefused as exc:
        code = min(c for c, _ in exc.recipients.values())
        raise (MailRefused if code >= 500 else MailDeferred)(f"recipient refused ({code})") from exc
    except smtplib.SMTPResponseException as exc:
        kind = MailRefused if exc.smtp_code >= 500 else MailDeferred
        raise kind(f"relay answered {exc.smtp_code}") from exc
    except ssl.SSLCertVerificationError as exc:
        raise MailDeferred(f"relay certificate not trusted ({exc.verify_message})") from exc
    except (TimeoutError, ssl.SSLError, smtplib.SMTPException, OSError) as exc:
        raise MailDeferred(f"{type(exc).__name__}: relay unreachable or TLS failed") from exc
