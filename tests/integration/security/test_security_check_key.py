"""``telecabine check`` reports where the database key lives (issue 9 item 1), text and JSON."""

from __future__ import annotations

import json

import pytest

from telecabine.config import load_settings
from telecabine.services.preflight import CheckStatus
from telecabine.services.preflight_cli import key_storage_result, run_check


def test_insecure_file_fallback_is_a_warning(data_dir):
    item = key_storage_result(load_settings(data_dir=data_dir, insecure_file_keyring=True))
    assert item.status is CheckStatus.WARNING and item.required
    assert "INSECURE" in item.message_fr and "tests" in item.message_en.lower()


def test_no_keyring_and_no_fallback_fails(data_dir, monkeypatch):
    monkeypatch.setattr("telecabine.store.keys.secure_keyring_available", lambda: False)
    item = key_storage_result(load_settings(data_dir=data_dir, insecure_file_keyring=False))
    assert item.status is CheckStatus.FAILED and item.required
    assert "TELECABINE_INSECURE_FILE_KEYRING" in item.message_en


def test_secure_keyring_is_ok(data_dir, monkeypatch):
    monkeypatch.setattr("telecabine.store.keys.secure_keyring_available", lambda: True)
    item = key_storage_result(load_settings(data_dir=data_dir, insecure_file_keyring=True))
    assert item.status is CheckStatus.OK


@pytest.fixture
def quick_check_settings(data_dir):
    return load_settings(
        data_dir=data_dir, insecure_file_keyring=True, simulated_devices=True,
        camera_room="sim:room", preflight_listen_s=0.3, hub_url="http://127.0.0.1:9",
    )  # fmt: skip


@pytest.mark.timeout(60)
def test_check_json_and_text_show_the_key_warning(quick_check_settings, capsys):
    run_check(quick_check_settings, as_json=True)
    report = json.loads(capsys.readouterr().out)
    items = {i["key"]: i for i in report["items"]}
    assert items["key_storage"]["status"] == "warning"
    assert "INSECURE" in items["key_storage"]["message_fr"]
    run_check(quick_check_settings, as_json=False)
    text = capsys.readouterr().out
    assert "Clé de la base" in text and "Database key" in text and "INSECURE" in text
