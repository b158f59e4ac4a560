"""Operator copies of the tariffs / parcours rules (settings paths) replace the packaged ones,
are validated at start, and a broken copy stops the start with the file, field and line named."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources

import pytest
from wrapup_testlib import encounter_in_wrap_up

from telecabine.config import load_settings
from telecabine.domain.datafile import DataFileError
from telecabine.services.billing_rules import load_station_rules, rules_from_settings
from telecabine.services.wrapup import (
    DISINFECTION_CHECKLIST,
    Disinfection,
    WrapUpForm,
    WrapUpService,
)

NOW = datetime(2026, 3, 2, 9, 40, tzinfo=UTC)


def _packaged(package: str, name: str) -> dict:
    return json.loads((resources.files(package) / name).read_text("utf-8"))


def _write(tmp_path, name: str, data: dict | str) -> object:
    path = tmp_path / name
    text = data if isinstance(data, str) else json.dumps(data, indent=2, ensure_ascii=False)
    path.write_text(text, "utf-8")
    return path


def _close(svc: WrapUpService, eid: str):
    ctx = svc.load(eid)
    form = WrapUpForm(
        doctor=ctx.summary_act, accompanying_role="pharmacist", staff_name="Claire Dubois",
        disinfection=Disinfection(tuple(k for k, _, _ in DISINFECTION_CHECKLIST), NOW, "C"),
        in_parcours=bool(ctx.in_parcours_hint),
    )  # fmt: skip
    return ctx, svc.close(eid, form)


def test_settings_paths_replace_the_packaged_rules_in_the_wrap_up(tmp_path, station_store):
    tariffs = _packaged("telecabine.domain.billing", "data/tariffs.json")
    tariffs["acts"]["TCG"]["periods"] = [
        {"from": "2018-09-15", "until": "2025-12-31", "amount": "25.00"},
        {"from": "2026-01-01", "until": None, "amount": "26.50"},
    ]
    rules = _packaged("telecabine.domain", "data/parcours_rules.json")
    for period in rules["periods"]:  # this operator does not accept "no médecin traitant"
        period["exceptions"] = [
            e for e in period["exceptions"] if e["code"] != "no_medecin_traitant"
        ]
    settings = load_settings(
        data_dir=tmp_path / "d",
        tariffs_path=_write(tmp_path, "tariffs.json", tariffs),
        parcours_rules_path=_write(tmp_path, "rules.json", rules),
    )
    loaded = rules_from_settings(settings)
    assert loaded.tariffs_source.endswith("tariffs.json")
    assert loaded.parcours_source.endswith("rules.json")

    situation = {"situation": {"has_medecin_traitant": False}}
    eid = encounter_in_wrap_up(station_store)
    station_store.encounters.save_draft(eid, "call", {
        **station_store.encounters.load_draft(eid).data, **situation})  # fmt: skip
    ctx, closed = _close(WrapUpService(station_store, station_id="cabine-test",
                                       clock=lambda: NOW, rules=loaded), eid)  # fmt: skip
    assert ctx.in_parcours_hint is False and "Hors parcours" in ctx.eligibility_fr
    assert closed.payload["doctor"]["amount"] == "26.50"
    assert closed.payload["in_parcours"] is False
    c = {k: Decimal(v) for k, v in closed.payload["coverage"].items()}
    assert c["amo"] + c["amc"] + c["patient"] == Decimal("26.50")

    # Same answers with the packaged rules and figures: in the parcours, TCG at 25 EUR.
    eid2 = encounter_in_wrap_up(station_store)
    station_store.encounters.save_draft(eid2, "call", {
        **station_store.encounters.load_draft(eid2).data, **situation})  # fmt: skip
    packaged = rules_from_settings(load_settings(data_dir=tmp_path / "e"))
    assert packaged.tariffs_source == packaged.parcours_source == "packaged"
    ctx2, closed2 = _close(WrapUpService(station_store, station_id="cabine-test",
                                         clock=lambda: NOW, rules=packaged), eid2)  # fmt: skip
    assert ctx2.in_parcours_hint is True and closed2.payload["doctor"]["amount"] == "25.00"


def _broken_te2_amount(d):
    d["acts"]["TE2"]["periods"][1]["amount"] = "20,00"


def _missing_payer(d):
    del d["acts"]["RQD"]["payer"]


def _bad_cap(d):
    d["pharmacist_accompaniment"]["periods"][0]["annual_cap"] = "sept cent"


@pytest.mark.parametrize(
    ("mutate", "field", "key"),
    [
        (_broken_te2_amount, "acts.TE2.periods.1.amount", '"20,00"'),
        (_missing_payer, "acts.RQD.payer", '"RQD"'),  # the entry lacking the field
        (_bad_cap, "pharmacist_accompaniment.periods.0.annual_cap", '"sept cent"'),
    ],
)
def test_a_broken_tariff_copy_names_file_field_and_line(tmp_path, mutate, field, key):
    data = _packaged("telecabine.domain.billing", "data/tariffs.json")
    mutate(data)
    path = _write(tmp_path, "tarifs-operateur.json", data)
    with pytest.raises(DataFileError) as info:
        load_station_rules(path, None)
    err = info.value
    text = path.read_text("utf-8").splitlines()
    assert err.field == field and err.line is not None
    assert key in text[err.line - 1]  # the line holds the faulty value (or names the entry)
    assert str(path) in err.message_fr and f"ligne/line {err.line}" in err.message_fr
    assert str(path) in err.message_en and field in err.message_en


def test_broken_json_missing_file_and_bad_rule_are_refused(tmp_path):
    good = json.dumps(_packaged("telecabine.domain.billing", "data/tariffs.json"), indent=2)
    broken = _write(tmp_path, "t.json", good.replace('"TLD": {', '"TLD": {,', 1))
    with pytest.raises(DataFileError) as info:
        load_station_rules(broken, None)
    assert info.value.line == good[: good.index('"TLD": {')].count("\n") + 1
    assert "JSON" in info.value.message_fr and str(broken) in info.value.message_fr

    with pytest.raises(DataFileError, match="lecture impossible") as missing:
        load_station_rules(tmp_path / "absent.json", None)
    assert "absent.json" in missing.value.message_en

    rules = _packaged("telecabine.domain", "data/parcours_rules.json")
    rules["periods"][1]["exceptions"][0]["when"] = {"field": "age", "lt": "16"}
    path = _write(tmp_path, "regles.json", rules)
    with pytest.raises(DataFileError) as bad_rule:
        load_station_rules(None, path)
    assert bad_rule.value.field == "periods.1.exceptions.0.when"
    assert bad_rule.value.line is not None and "regles.json" in bad_rule.value.message_fr


def test_empty_setting_means_the_packaged_copy(tmp_path):
    settings = load_settings(data_dir=tmp_path, tariffs_path="", parcours_rules_path=None)
    assert rules_from_settings(settings).tariffs_source == "packaged"
