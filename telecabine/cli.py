"""Command line: ``telecabine <command>``.

Each command imports its implementation lazily so ``telecabine --version`` stays instant and
no module touches a device, the database or the network on import.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path


def _has_display() -> bool:
    """True when Qt can open a window (or was told to draw offscreen)."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


NO_DISPLAY_HELP = (
    "Aucun écran détecté (DISPLAY/WAYLAND_DISPLAY absents).\n"
    "  - sur un serveur : xvfb-run -a telecabine {cmd}\n"
    "  - sans fenêtre   : QT_QPA_PLATFORM=offscreen telecabine {cmd}\n"
    "No display found. Run under `xvfb-run -a telecabine {cmd}` or set "
    "QT_QPA_PLATFORM=offscreen."
)


def _cmd_run(args: argparse.Namespace) -> int:
    if not _has_display():
        print(NO_DISPLAY_HELP.format(cmd="run"), file=sys.stderr)
        return 2
    from telecabine.app import run_station

    return run_station(_settings(args), demo=False)


def _cmd_demo(args: argparse.Namespace) -> int:
    if not _has_display():
        print(NO_DISPLAY_HELP.format(cmd="demo"), file=sys.stderr)
        return 2
    from telecabine.app import run_station
    from telecabine.config import default_data_dir

    # The demo never touches a real cabin's data: its own folder unless --data-dir is given,
    # and (demo data only) the clearly marked file keyring when the OS has no secure keyring.
    if args.data_dir is None:
        args.data_dir = default_data_dir() / "demo"
    settings = _settings(args, simulated_devices=True, insecure_file_keyring=True)
    return run_station(settings, demo=True)


def _settings(args: argparse.Namespace, **extra: object):
    from telecabine.config import load_settings

    if getattr(args, "kiosk", False):
        extra["kiosk"] = True
    return load_settings(data_dir=args.data_dir, **extra)


def _station_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--kiosk", action="store_true", help="Plein écran (borne) / full-screen kiosk mode"
    )


# Commands other layers add: name -> (help, configure(parser), handler(args) -> exit code).
# Kept as one table so `telecabine --help` lists everything in one place.
Configure = Callable[[argparse.ArgumentParser], None]
Handler = Callable[[argparse.Namespace], int]


def _no_options(_: argparse.ArgumentParser) -> None:
    return None


def _hub_configure(parser: argparse.ArgumentParser) -> None:
    from telecabine.hub.cli import configure

    configure(parser)


def _hub_run(args: argparse.Namespace) -> int:
    from telecabine.hub.cli import run

    return run(args)


def _store_configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["rekey"], help="rekey : nouvelle clé / rotate the key")


def _store_run(args: argparse.Namespace) -> int:
    from telecabine.store.commands import run_store

    return run_store(_settings(args), args.action)


def _audit_configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["verify"], help="verify : vérifier / verify the chain")
    parser.add_argument(
        "--known-head", default=None, help="SEQ:HASH noté auparavant / head recorded earlier"
    )


def _audit_run(args: argparse.Namespace) -> int:
    from telecabine.store.commands import run_audit

    return run_audit(_settings(args), args.action, known_head=args.known_head)


def _purge_configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="Lister seulement / list only")
    parser.add_argument("--retention-days", type=int, default=None, help="Jours / days")


def _purge_run(args: argparse.Namespace) -> int:
    from telecabine.store.commands import run_purge

    return run_purge(_settings(args), args.dry_run, args.retention_days)


def _ble_configure(parser: argparse.ArgumentParser) -> None:
    from telecabine.devices.ble.commands import configure

    configure(parser)


def _ble_run(args: argparse.Namespace) -> int:
    from telecabine.devices.ble.commands import run

    return run(args, _settings(args))


def _sync_configure(parser: argparse.ArgumentParser) -> None:
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--once", action="store_true", help="Un seul passage puis sortie / one pass, then exit"
    )
    mode.add_argument(
        "--set-token",
        action="store_true",
        help="Lire le jeton de station sur stdin -> trousseau / read station token from stdin",
    )
    mode.add_argument(
        "--parked",
        action="store_true",
        help="Lister les envois à vérifier (409/422) / list records needing attention",
    )
    mode.add_argument(
        "--requeue",
        metavar="UUID",
        help="Remettre un envoi à vérifier dans la file / put a parked record back in the queue",
    )


def _sync_run(args: argparse.Namespace) -> int:
    from telecabine.services.sync_runtime import run_parked_command, run_sync_command

    if args.parked or args.requeue:
        return run_parked_command(_settings(args), args.requeue, None)
    return run_sync_command(_settings(args), args.once, args.set_token, None)


def _enroll_configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--hub", required=True, help="URL du hub / hub URL (https://…)")
    parser.add_argument(
        "--token", default=None,
        help="Jeton donné par `telecabine hub add-station` (absent : lu sur stdin) / "
        "station token (absent: read from stdin)",
    )  # fmt: skip


def _enroll_run(args: argparse.Namespace) -> int:
    from telecabine.services.enrolment import run_enroll_command

    return run_enroll_command(_settings(args), args.hub, args.token)


def _export_configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "what", choices=["billing", "fhir"], help="Données / data: billing (CSV), fhir (R4 Bundle)"
    )
    parser.add_argument("--format", dest="fmt", choices=["csv"], default="csv")
    parser.add_argument("--encounter", help="fhir : identifiant de la consultation / encounter id")
    parser.add_argument(
        "--output", type=Path, help="fhir : fichier à écrire (sinon stdout) / file (else stdout)"
    )


def _export_run(args: argparse.Namespace) -> int:
    if args.what == "fhir":
        if not args.encounter:
            print(
                "Indiquez --encounter ID. / Give --encounter ID.",
                file=sys.stderr,
            )
            return 2
        from telecabine.services.fhir_export import run_fhir_export_command

        return run_fhir_export_command(_settings(args), args.encounter, args.output)
    from telecabine.services.sync_runtime import run_export_command

    return run_export_command(_settings(args), args.what, args.fmt, None)


def _reports_configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--send-once", action="store_true", help="Envoyer ce qui attend / send what waits"
    )
    parser.add_argument(
        "--set-password", action="store_true",
        help="Mot de passe du relais SMTP lu sur stdin (trousseau) / relay password from stdin",
    )  # fmt: skip


def _reports_run(args: argparse.Namespace) -> int:
    from telecabine.services.mt_report import run_reports_command

    return run_reports_command(
        _settings(args), send_once=args.send_once, set_password=args.set_password
    )


def _check_configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="Sortie JSON / JSON output")
    parser.add_argument(
        "--list-devices", action="store_true",
        help="Lister caméras et audio présents / list cameras and audio devices",
    )  # fmt: skip


def _check_run(args: argparse.Namespace) -> int:
    from telecabine.services.preflight_cli import run_check

    return run_check(_settings(args), args.json, args.list_devices)


def _settings_configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--markdown", action="store_true", help="Tableau Markdown / Markdown table")


def _settings_run(args: argparse.Namespace) -> int:
    from telecabine.config import describe_settings

    rows = describe_settings()
    if args.markdown:
        print("| Variable | Défaut / default | Description |\n|---|---|---|")
        for r in rows:
            print(f"| `{r['env']}` | `{r['default']}` | {r['description']} |")
        return 0
    for r in rows:
        print(f"{r['env']} = {r['default']!r}\n    {r['description']}")
    return 0


COMMANDS: dict[str, tuple[str, Configure, Handler]] = {
    "run": ("Démarrer la station / start the station", _station_options, _cmd_run),
    "demo": (
        "Démo : station + hub local + appareils simulés / demo: station + local hub + "
        "simulated devices",
        _station_options,
        _cmd_demo,
    ),
    "check": (
        "Vérification de l'équipement (code de sortie 1 si un élément requis échoue) / "
        "equipment check (exit 1 when a required item fails)",
        _check_configure,
        _check_run,
    ),
    "hub": (
        "Hub : signalisation, salle d'attente, console médecin, facturation / hub server",
        _hub_configure,
        _hub_run,
    ),
    "store": (
        "Base chiffrée : rotation de clé / encrypted store: key rotation",
        _store_configure,
        _store_run,
    ),
    "audit": (
        "Journal d'audit : vérification / audit trail: verify the chain",
        _audit_configure,
        _audit_run,
    ),
    "purge": (
        "Rétention : purge des consultations synchronisées / retention purge",
        _purge_configure,
        _purge_run,
    ),
    "ble": (
        "Appareils Bluetooth de mesure : scan, appairage, essai / BLE vitals devices",
        _ble_configure,
        _ble_run,
    ),
    "sync": (
        "Facturation : envoi au hub (--once) / billing sync to the hub",
        _sync_configure,
        _sync_run,
    ),
    "enroll": (
        "Enrôler la station sur le hub (jeton au trousseau) / enrol the station on its hub",
        _enroll_configure,
        _enroll_run,
    ),
    "reports": (
        "Comptes rendus au médecin traitant (SMTP) / reports to the médecin traitant",
        _reports_configure,
        _reports_run,
    ),
    "export": (
        "Export facturation (CSV) ou consultation (FHIR R4) / export billing or FHIR",
        _export_configure,
        _export_run,
    ),
    "settings": (
        "Toutes les options (variables TELECABINE_…) / every option with its default",
        _settings_configure,
        _settings_run,
    ),
}


class _VersionAction(argparse.Action):
    """``--version``: the version is read only when asked (it costs a metadata scan)."""

    def __init__(self, option_strings: list[str], dest: str, **kw: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="Version du logiciel / show the version")  # fmt: skip

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        """Print ``telecabine X.Y.Z`` and exit 0."""
        from telecabine import __version__

        print(f"telecabine {__version__}")
        parser.exit()


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs).

    With ``only``, just that command's options are configured: the others' ``configure``
    imports (hub, BLE...) would cost ~0.4 s of the station's cold start for nothing.
    """
    parser = argparse.ArgumentParser(prog="telecabine", description="Telecabine station and hub")
    parser.add_argument("--version", action=_VersionAction)
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="Répertoire des données / data directory"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help_text, configure, handler) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        if only is None or only == name:
            configure(p)
        p.set_defaults(handler=handler)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``telecabine`` console script."""
    words = list(sys.argv[1:] if argv is None else argv)
    chosen = next(
        (w for i, w in enumerate(words) if w in COMMANDS and words[i - 1 : i] != ["--data-dir"]),
        None,
    )
    parser = build_parser(only=chosen) if chosen is not None else build_parser()
    args = parser.parse_args(words)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    return int(handler(args) or 0)
