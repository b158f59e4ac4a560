"""Every option is documented once (config.py) and listed by ``telecabine settings``."""

from __future__ import annotations

from telecabine import cli
from telecabine.config import Settings, describe_settings


def test_every_setting_has_a_description_and_an_env_name():
    rows = describe_settings()
    assert [r["name"] for r in rows] == list(Settings.model_fields)
    missing = [r["name"] for r in rows if len(r["description"].strip()) < 10]
    assert missing == []
    assert all(r["env"] == "TELECABINE_" + r["name"].upper() for r in rows)
    token = next(r for r in rows if r["name"] == "station_token")
    assert token["default"] == "(secret)"


def test_settings_command_lists_every_option(capsys, monkeypatch):
    monkeypatch.setenv("TELECABINE_STATION_TOKEN", "s3cr3t-token-value")
    assert cli.main(["settings"]) == 0
    text = capsys.readouterr().out
    for name in Settings.model_fields:
        assert f"TELECABINE_{name.upper()} = " in text
    assert "s3cr3t" not in text  # defaults only, never a configured secret
    assert cli.main(["settings", "--markdown"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert len(table) == 2 + len(Settings.model_fields)
