"""Search-key normalisation and the prefix range used for index scans (pure)."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from telecabine.store.search_keys import (
    looks_like_nir_prefix,
    name_key,
    normalise_nir,
    parse_search_date,
    prefix_upper_bound,
)


def test_name_key_folds_accents_case_and_separators() -> None:
    assert name_key("  Éloïse-Marie d'Arc ") == "ELOISE MARIE D ARC"
    assert name_key("Lefèvre") == name_key("LEFEVRE")


@given(st.text(max_size=30))
def test_name_key_is_idempotent(text: str) -> None:
    assert name_key(name_key(text)) == name_key(text)


@given(st.text(alphabet="ABCDEZ", min_size=1, max_size=6), st.text(alphabet="ABCDEZ", max_size=6))
def test_every_extension_of_a_prefix_is_inside_the_range(prefix: str, tail: str) -> None:
    assert prefix <= prefix + tail < prefix_upper_bound(prefix)


def test_nir_detection_and_normalisation() -> None:
    assert looks_like_nir_prefix("1 85 05")
    assert looks_like_nir_prefix("2 37 11 2A")
    assert not looks_like_nir_prefix("1850")  # too short to be meant as a NIR
    assert not looks_like_nir_prefix("Dupont")
    assert normalise_nir("2 37 11 2a 123") == "237112A123"


def test_dates() -> None:
    assert parse_search_date("29/11/1937") == date(1937, 11, 29)
    assert parse_search_date("1937-11-29") == date(1937, 11, 29)
    assert parse_search_date("31/02/1950") is None
    assert parse_search_date("Martin") is None
