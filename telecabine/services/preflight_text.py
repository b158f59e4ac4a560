"""French and English sentences of the equipment check: what happened and what to do."""

from __future__ import annotations

from telecabine.devices.video_health import ROLE_NAMES

# key -> (French, English); ``{name}`` style fields are filled by the check.
TEXT: dict[str, tuple[str, str]] = {
    "lib_opencv": (
        "OpenCV ne peut pas se charger : installez les bibliothèques d'affichage (Debian/Ubuntu : "
        "sudo apt install libgl1 libglib2.0-0), puis relancez le test.",
        "OpenCV cannot load: install the display libraries (Debian/Ubuntu: sudo apt install "
        "libgl1 libglib2.0-0), then run the check again.",
    ),
    "lib_qt": (
        "L'affichage Qt ne peut pas démarrer : installez ses bibliothèques (Debian/Ubuntu : "
        "sudo apt install libxcb-cursor0 libxkbcommon0 libegl1 libgl1).",
        "Qt's display cannot start: install its libraries (Debian/Ubuntu: sudo apt install "
        "libxcb-cursor0 libxkbcommon0 libegl1 libgl1).",
    ),
    "lib_dbus": (
        "Bluetooth injoignable (D-Bus / BlueZ absent) : installez dbus et bluez, ou saisissez "
        "les mesures à la main.",
        "Bluetooth unreachable (D-Bus / BlueZ missing): install dbus and bluez, or type the "
        "measurements in by hand.",
    ),
    "lib_other": (
        "Une bibliothèque du système manque ({name}) : réinstallez Télécabine.",
        "A system library is missing ({name}): reinstall Telecabine.",
    ),
    "camera_none": (
        "Aucune caméra choisie pour ce rôle : choisissez-en une ci-dessous.",
        "No camera chosen for this role: pick one below.",
    ),
    "camera_no_frames": (
        "Aucune image de « {name} » : vérifiez le câble USB, puis relancez le test.",
        "No picture from '{name}': check the USB cable, then run the check again.",
    ),
    "camera_slow": (
        "Image reçue mais faible ({w}×{h}, {fps} i/s) : fermez les autres logiciels "
        "ou branchez la caméra sur un autre port USB.",
        "Picture received but poor ({w}×{h}, {fps} fps): close other programs or use "
        "another USB port.",
    ),
    "camera_ok": ("Image correcte ({w}×{h}, {fps} i/s).", "Picture fine ({w}×{h}, {fps} fps)."),
    "mic_silent": (
        "Le micro n'envoie aucun son : vérifiez qu'il est branché et choisi dans les réglages.",
        "The microphone sends no sound: check it is plugged in and chosen in the settings.",
    ),
    "mic_quiet": (
        "Son trop faible ({level} dBFS) : parlez près du micro, vérifiez qu'il n'est pas coupé.",
        "Sound too quiet ({level} dBFS): speak close to the microphone, check it is not muted.",
    ),
    "mic_ok": ("Micro correct ({level} dBFS).", "Microphone fine ({level} dBFS)."),
    "speaker_question": (
        "Un son vient d'être joué. L'avez-vous entendu ?",
        "A sound was just played. Did you hear it?",
    ),
    "speaker_unconfirmed": (
        "Son joué, non confirmé : écoutez le haut-parleur lors du prochain test à l'écran.",
        "Tone played, not confirmed: listen to the speaker during the next on-screen check.",
    ),
    "speaker_not_heard": (
        "Son non entendu : montez le volume, vérifiez le câble du haut-parleur.",
        "Tone not heard: turn the volume up, check the speaker cable.",
    ),
    "speaker_ok": ("Haut-parleur correct.", "Speaker fine."),
    "steth_none": (
        "Pas de stéthoscope configuré : l'auscultation à distance ne sera pas possible.",
        "No stethoscope configured: remote auscultation will not be possible.",
    ),
    "steth_silent": (
        "Le stéthoscope n'envoie aucun son : vérifiez son câble ou sa batterie.",
        "The stethoscope sends no sound: check its cable or battery.",
    ),
    "steth_ok": ("Stéthoscope correct ({level} dBFS).", "Stethoscope fine ({level} dBFS)."),
    "bt_simulated": ("Bluetooth simulé (mode démo).", "Simulated Bluetooth (demo mode)."),
    "bt_unknown": (
        "Présence du Bluetooth inconnue : les constantes pourront être saisies à la main.",
        "Bluetooth presence unknown: vital signs can still be typed in by hand.",
    ),
    "bt_absent": (
        "Aucun adaptateur Bluetooth : branchez le dongle USB ; en attendant, saisissez les "
        "constantes à la main.",
        "No Bluetooth adapter: plug in the USB dongle; meanwhile type vital signs in by hand.",
    ),
    "bt_ok": ("Adaptateur Bluetooth présent.", "Bluetooth adapter present."),
    "hub_down": (
        "Serveur injoignable : vérifiez la connexion Internet ; la téléconsultation est "
        "impossible tant qu'il ne répond pas.",
        "Server unreachable: check the Internet connection; no consultation until it answers.",
    ),
    "hub_error": (
        "Le serveur répond mal (HTTP {status}) : prévenez le support technique.",
        "The server answers with an error (HTTP {status}): call technical support.",
    ),
    "hub_slow": (
        "Serveur lent ({rtt} ms) : la vidéo risque d'être saccadée ; vérifiez le réseau.",
        "Server slow ({rtt} ms): video may stutter; check the network.",
    ),
    "hub_ok": ("Serveur joignable ({rtt} ms).", "Server reachable ({rtt} ms)."),
    "disk_full": (
        "Disque presque plein ({free} Mo libres) : prévenez le support technique.",
        "Disk nearly full ({free} MB free): call technical support.",
    ),
    "disk_low": (
        "Peu d'espace disque ({free} Mo libres) : prévenez le support bientôt.",
        "Low disk space ({free} MB free): call support soon.",
    ),
    "disk_ok": ("Espace disque suffisant ({free} Mo).", "Enough disk space ({free} MB)."),
    "clock_wrong": (
        "Date de l'ordinateur fausse : réglez la date et l'heure avant toute consultation.",
        "The computer's date is wrong: set the date and time before any consultation.",
    ),
    "clock_skew": (
        "L'horloge diffère de {skew} s de celle du serveur : activez la mise à l'heure "
        "automatique.",
        "The clock differs from the server's by {skew} s: turn on automatic time setting.",
    ),
    "clock_ok": ("Heure correcte (écart {skew} s).", "Clock fine ({skew} s apart)."),
    "clock_ok_local": (
        "Date plausible (serveur non joint pour comparer).",
        "Date plausible (server not reached to compare).",
    ),
}

_LABELS = {
    "microphone": ("Micro", "Microphone"),
    "speaker": ("Haut-parleur", "Speaker"),
    "stethoscope": ("Stéthoscope", "Stethoscope"),
    "bluetooth": ("Bluetooth", "Bluetooth"),
    "hub": ("Serveur", "Server"),
    "disk": ("Espace disque", "Disk space"),
    "clock": ("Horloge", "Clock"),
    "key_storage": ("Clé de la base", "Database key"),
}


def label(key: str) -> tuple[str, str]:
    """(French, English) name of a check item."""
    if key.startswith("camera:"):
        fr, en = ROLE_NAMES.get(key[7:], (key[7:], key[7:]))
        return f"Caméra {fr}", f"{en} camera"
    return _LABELS.get(key, (key, key))
