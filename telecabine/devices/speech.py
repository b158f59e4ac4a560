"""Spoken guidance through the system's speech synthesis (espeak-ng on Linux, SAPI on Windows).

Qt's TextToSpeech module ships in PySide6-Addons, which the station does not install; both
system engines are reached as programs instead, so nothing is added to the Python stack:

- Linux: ``espeak-ng`` (Debian package ``espeak-ng``), voices ``fr`` and ``en``;
- Windows: SAPI through PowerShell's ``System.Speech`` (present on every Windows 10/11).

A sentence replaces the one still being spoken (the patient moved on to the next step). The
simulated twin records sentences for tests and demo runs without a sound card.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)
VOICES = {"fr": "fr", "en": "en"}
SPEAK_TIMEOUT_S = 60  # a sentence longer than this is a bug, not a reason to hang


class SpeechBackend(Protocol):
    """Says a sentence in a language; never blocks the caller."""

    name: str

    def say(self, text: str, lang: str) -> None:
        """Start saying ``text`` (``lang`` = "fr" or "en"), interrupting the previous one."""
        ...

    def stop(self) -> None:
        """Stop speaking now."""
        ...


class SimulatedSpeech:
    """Twin for tests and the demo: remembers every sentence, says nothing."""

    name = "simulated"

    def __init__(self) -> None:
        self.spoken: list[tuple[str, str]] = []
        self.stopped = 0

    def say(self, text: str, lang: str) -> None:
        """Record the sentence."""
        self.spoken.append((lang, text))

    def stop(self) -> None:
        """Count the stops."""
        self.stopped += 1


class _ProcessSpeech(ABC):
    """A speech program run once per sentence (the previous one is stopped first)."""

    name = "process"

    def __init__(self) -> None:
        self._proc: subprocess.Popen | None = None

    @abstractmethod
    def command(self, text: str, lang: str) -> list[str]:
        """The program and its arguments for one sentence (espeak-ng, SAPI subclasses)."""

    def environment(self, text: str, lang: str) -> dict[str, str] | None:
        """Extra environment for the program (``None``: inherit)."""
        return None

    def say(self, text: str, lang: str) -> None:
        """Start the program on ``text``; a missing or broken engine is logged, not raised."""
        self.stop()
        try:
            self._proc = subprocess.Popen(
                self.command(text, lang),
                env=self.environment(text, lang),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except OSError as exc:
            log.warning("speech engine %s unavailable: %s", self.name, exc)
            self._proc = None

    def stop(self) -> None:
        """Stop the sentence being spoken, if any."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                proc.kill()


class EspeakNgSpeech(_ProcessSpeech):
    """espeak-ng (Linux): ``espeak-ng -v fr "…"`` to the default sound output."""

    name = "espeak-ng"

    def __init__(self, program: str = "espeak-ng", rate_wpm: int = 150) -> None:
        super().__init__()
        self.program = program
        self.rate_wpm = rate_wpm  # a little slower than espeak's 175: patients are listening

    def command(self, text: str, lang: str, wav: Path | None = None) -> list[str]:
        """The espeak-ng command line (``wav``: write a file instead of playing)."""
        cmd = [self.program, "-v", VOICES.get(lang, "fr"), "-s", str(self.rate_wpm)]
        if wav is not None:
            cmd += ["-w", str(wav)]
        return [*cmd, "--", text]

    def to_wav(self, text: str, lang: str, wav: Path) -> Path:
        """Synthesise ``text`` into a WAV file (blocking; used by checks and tests)."""
        subprocess.run(
            self.command(text, lang, wav), check=True, capture_output=True, timeout=SPEAK_TIMEOUT_S
        )
        return wav


class SapiSpeech(_ProcessSpeech):
    """Windows SAPI via PowerShell ``System.Speech``.

    The sentence and culture travel in environment variables, never inside the script text, so
    no quoting of patient-facing words can break (or inject into) the command.
    """

    name = "sapi"
    SCRIPT = (
        "Add-Type -AssemblyName System.Speech; "
        "$s = New-Object System.Speech.Synthesis.SpeechSynthesizer; "
        "$v = $s.GetInstalledVoices() | Where-Object "
        "{ $_.VoiceInfo.Culture.Name -like $env:TELECABINE_SAY_CULTURE } | Select-Object -First 1; "
        "if ($v) { $s.SelectVoice($v.VoiceInfo.Name) }; $s.Speak($env:TELECABINE_SAY_TEXT)"
    )

    def command(self, text: str, lang: str) -> list[str]:
        """powershell -Command <script>."""
        return ["powershell", "-NoProfile", "-NonInteractive", "-Command", self.SCRIPT]

    def environment(self, text: str, lang: str) -> dict[str, str]:
        """The sentence and the voice culture (fr-* / en-*)."""
        culture = "fr-*" if lang == "fr" else "en-*"
        return {**os.environ, "TELECABINE_SAY_TEXT": text, "TELECABINE_SAY_CULTURE": culture}


def system_speech() -> SpeechBackend | None:
    """The platform's engine, or ``None`` when none is installed (guidance stays on screen)."""
    if sys.platform == "win32":
        return SapiSpeech() if shutil.which("powershell") else None
    program = shutil.which("espeak-ng")
    return EspeakNgSpeech(program) if program else None
