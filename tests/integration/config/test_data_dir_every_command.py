"""``--data-dir`` works before or after the command, for every command that reads the store."""

from __future__ import annotations

import pytest

from telecabine import cli

COMMANDS = (["purge", "--dry-run"], ["audit", "verify"], ["export", "billing"],
            ["sync", "--parked"], ["store", "rekey"])  # fmt: skip


@pytest.mark.parametrize("where", ["before", "after"])
def test_data_dir_is_honoured_by_every_store_command(tmp_path, monkeypatch, capsys, where):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "default-home"))  # catch a fallback
    data = tmp_path / "cabin"
    for words in COMMANDS:
        argv = (
            ["--data-dir", str(data), *words]
            if where == "before"
            else [words[0], "--data-dir", str(data), *words[1:]]
        )
        assert cli.main(argv) == 0, words
    capsys.readouterr()
    assert (data / "telecabine.db").exists()
    assert not (tmp_path / "default-home").exists()
