"""The command line parses and reports its version without touching anything."""

from __future__ import annotations

import pytest

from telecabine import __version__, cli


def test_version_flag_prints_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_demo_without_display_explains_how_to_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(cli.sys, "platform", "linux")
    assert cli.main(["demo"]) == 2
    err = capsys.readouterr().err
    assert "xvfb-run" in err
    assert "QT_QPA_PLATFORM=offscreen" in err


def test_settings_env_override(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from telecabine.config import load_settings

    monkeypatch.setenv("TELECABINE_LANGUAGE", "en")
    s = load_settings(data_dir=tmp_path)
    assert s.language == "en"
    assert s.db_path == tmp_path / "telecabine.db"
