"""``telecabine hub ...``: serve the hub, register stations, add doctors, make a trial cert.

``telecabine hub [--host H] [--port P] [--database URL] [--cert C --key K]`` serves;
``add-station NAME`` prints the station token once; ``add-doctor`` asks for the password (or
reads ``--password-file``); ``self-signed-cert DIR`` writes a certificate for a local trial.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import signal
import sys
from pathlib import Path

from telecabine.hub.config import HubSettings


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the hub's options and sub-actions to its ``telecabine hub`` parser."""
    parser.add_argument("--host", default=None, help="Adresse d'écoute / listen address")
    parser.add_argument("--port", type=int, default=None, help="Port TCP / TCP port")
    parser.add_argument("--database", default=None, help="URL SQLAlchemy async / database URL")
    parser.add_argument("--cert", type=Path, default=None, help="Certificat TLS (PEM)")
    parser.add_argument("--key", type=Path, default=None, help="Clé privée TLS (PEM)")
    sub = parser.add_subparsers(dest="hub_action", metavar="ACTION")
    st = sub.add_parser("add-station", help="Enregistrer une station / register a station")
    st.add_argument("name")
    st.add_argument(
        "--replace", action="store_true", help="Nouveau jeton si elle existe / new token"
    )
    st.add_argument(
        "--organisation", default=None, help="Organisation (pharmacie, EHPAD) / owner organisation"
    )
    org = sub.add_parser(
        "add-organisation", help="Enregistrer une pharmacie / un EHPAD / register an organisation"
    )
    org.add_argument("name")
    org.add_argument("--kind", default="pharmacy", help="pharmacy | ehpad | health_centre | other")
    org.add_argument("--finess", default=None, help="Numéro FINESS (9 caractères)")
    org.add_argument("--am-number", default=None, help="Numéro Assurance Maladie (8-9 chiffres)")
    ls = sub.add_parser("stations", help="Stations et présence / stations and presence")
    ls.add_argument("--json", action="store_true", help="Sortie JSON / JSON output")
    doc = sub.add_parser("add-doctor", help="Créer un compte médecin / create a doctor account")
    doc.add_argument("--username", required=True)
    doc.add_argument("--name", required=True, help='Nom affiché, ex. "Dr Martin"')
    doc.add_argument("--rpps", required=True, help="Numéro RPPS (11 chiffres)")
    doc.add_argument("--specialty", default="Médecine générale")
    doc.add_argument("--admin", action="store_true", help="Accès export facturation / billing")
    doc.add_argument("--password-file", type=Path, default=None)
    pw = sub.add_parser(
        "set-password", help="Nouveau mot de passe médecin (déconnecte) / reset a password"
    )
    pw.add_argument("--username", required=True)
    pw.add_argument("--password-file", type=Path, default=None)
    terr = sub.add_parser(
        "set-territory",
        help="Départements couverts par un médecin (proposé en premier) / doctor's départements",
    )
    terr.add_argument("--username", required=True)
    terr.add_argument("departements", nargs="*", help="ex. 17 79 2A")
    cert = sub.add_parser("self-signed-cert", help="Certificat d'essai / trial certificate")
    cert.add_argument("directory", type=Path)
    cert.add_argument("--hostname", action="append", default=[], help="Nom ou IP (répétable)")


def _settings(args: argparse.Namespace) -> HubSettings:
    overrides = {
        "host": args.host,
        "port": args.port,
        "database_url": args.database,
        "cert_file": args.cert,
        "key_file": args.key,
        "data_dir": getattr(args, "data_dir", None),
    }
    return HubSettings(**{k: v for k, v in overrides.items() if v is not None})


async def _with_engine(settings: HubSettings, action):
    from telecabine.hub.db import create_engine, migrate

    engine = create_engine(settings.resolved_database_url())
    try:
        await migrate(engine)
        return await action(engine)
    finally:
        await engine.dispose()


async def _serve(settings: HubSettings) -> None:
    from telecabine.hub.server import start_hub

    running = await start_hub(settings)
    print(f"Hub : {running.url}  (Ctrl+C pour arrêter / to stop)", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Windows has no loop signal handlers: Ctrl+C raises KeyboardInterrupt instead.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await running.stop()


def run(args: argparse.Namespace) -> int:
    """Handler of ``telecabine hub``; returns the process exit code."""
    from pydantic import ValidationError

    from telecabine.hub.accounts import AccountError

    try:
        settings = _settings(args)
    except ValidationError as exc:
        for err in exc.errors(include_input=False):
            print(err["msg"], file=sys.stderr)
        return 2
    action = getattr(args, "hub_action", None)
    try:
        if action == "self-signed-cert":
            from telecabine.hub.tls import generate_self_signed

            cert, key = generate_self_signed(args.directory, args.hostname)
            print(f"--cert {cert} --key {key}")
            return 0
        if settings.database_url is None:
            settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if action == "add-station":
            from telecabine.hub.accounts import register_station

            async def _register(engine):
                token = await register_station(engine, args.name, replace=args.replace)
                if args.organisation:
                    from telecabine.hub.organisations import assign_station

                    await assign_station(engine, args.name, args.organisation)
                return token

            token = asyncio.run(_with_engine(settings, _register))
            print("Jeton de la station (affiché une seule fois) / station token (shown once):")
            print(token)
            return 0
        if action == "add-organisation":
            return _add_organisation(settings, args)
        if action == "stations":
            return _stations(settings, args)
        if action == "add-doctor":
            return _add_doctor(settings, args)
        if action == "set-password":
            return _set_password(settings, args)
        if action == "set-territory":
            from telecabine.hub.appointments import set_territory

            deps = asyncio.run(
                _with_engine(settings, lambda e: set_territory(e, args.username, args.departements))
            )
            print(f"{args.username}: {' '.join(deps) or '—'}")
            return 0
        asyncio.run(_serve(settings))
        return 0
    except AccountError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0


def _read_password(args: argparse.Namespace) -> str | None:
    """From --password-file, or typed twice on the terminal (None if they differ)."""
    if args.password_file is not None:
        return args.password_file.read_text(encoding="utf-8").strip()
    password = getpass.getpass("Mot de passe / password: ")
    if getpass.getpass("Confirmer / confirm: ") != password:
        print("Les mots de passe diffèrent / passwords differ", file=sys.stderr)
        return None
    return password


def _set_password(settings: HubSettings, args: argparse.Namespace) -> int:
    from telecabine.hub.accounts import check_password_policy, set_password

    password = _read_password(args)
    if password is None:
        return 2
    check_password_policy(password, user_inputs=[args.username])
    asyncio.run(_with_engine(settings, lambda e: set_password(e, args.username, password)))
    print(
        f"Mot de passe changé, sessions fermées / password changed, sessions ended: {args.username}"
    )
    return 0


def _add_doctor(settings: HubSettings, args: argparse.Namespace) -> int:
    from telecabine.hub.accounts import check_password_policy, create_doctor

    password = _read_password(args)
    if password is None:
        return 2
    check_password_policy(password, user_inputs=[args.username, *args.name.split()])
    doctor = asyncio.run(
        _with_engine(
            settings,
            lambda e: create_doctor(
                e,
                username=args.username,
                password=password,
                name=args.name,
                rpps=args.rpps,
                specialty=args.specialty,
                is_admin=args.admin,
            ),
        )
    )
    print(f"Compte créé / account created: {doctor.username}")
    return 0


def _add_organisation(settings: HubSettings, args: argparse.Namespace) -> int:
    from telecabine.hub.organisations import add_organisation

    asyncio.run(
        _with_engine(
            settings,
            lambda e: add_organisation(
                e, args.name, args.kind, finess=args.finess, am_number=args.am_number
            ),
        )
    )
    print(f"Organisation enregistrée / organisation registered: {args.name}")
    return 0


def _stations(settings: HubSettings, args: argparse.Namespace) -> int:
    """``hub stations [--json]``: every registered station, online or not, last seen (UTC)."""
    import json
    from datetime import UTC, datetime

    from telecabine.hub.presence import list_presence

    now = datetime.now(UTC)
    found = asyncio.run(
        _with_engine(settings, lambda e: list_presence(e, now, settings.presence_window_s))
    )
    rows = [p.as_json() for p in found]
    if args.json:
        keys = ("station_id", "organisation", "online", "last_seen", "version", "audit_flag")
        print(json.dumps([{k: r[k] for k in keys} for r in rows], indent=2))
        return 0
    print("station_id\tonline\tlast_seen")
    for r in rows:
        print(f"{r['station_id']}\t{str(r['online']).lower()}\t{r['last_seen'] or '-'}")
    return 0
