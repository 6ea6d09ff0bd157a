"""The CTCAE v5 term list shipped in dosing/data/ctcae_v5.json."""

import dataclasses
import json

import pytest

from dosing import ctcae


def test_ships_every_term_of_the_source():
    raw = json.loads(ctcae.DATA_FILE.read_text(encoding="utf-8"))["medra_code"]
    loaded = ctcae.terms()
    assert len(loaded) == len(raw) == 837
    assert [term.term for term in loaded] == [row["CTCAE Term"] for row in raw]
    assert len({term.code for term in loaded}) == 837


def test_term_fields():
    anemia = ctcae.get("Anemia")
    assert anemia.code == 10002272
    assert anemia.soc == "Blood and lymphatic system disorders"
    assert set(anemia.grades) == {1, 2, 3, 4, 5}
    assert anemia.grades[3].startswith("Hgb <8.0 g/dL")
    assert anemia.definition.startswith("A disorder characterized by a reduction")


@pytest.mark.parametrize(
    ("name", "grades"),
    [
        ("Platelet count decreased", {1, 2, 3, 4}),  # no grade 5: "-" in the source
        ("Disseminated intravascular coagulation", {2, 3, 4, 5}),  # no grade 1
        ("Anemia", {1, 2, 3, 4, 5}),
    ],
)
def test_unavailable_grades_are_left_out(name, grades):
    assert set(ctcae.get(name).grades) == grades


def test_no_placeholder_texts_survive():
    for term in ctcae.terms():
        assert all(text and text != "-" for text in term.grades.values()), term.term
        assert term.definition != "-", term.term
    assert ctcae.get("Cardiac disorders - Other, specify").definition == ""


def test_get_is_case_insensitive_and_raises_keyerror():
    assert ctcae.get("neutrophil count decreased").code == 10029366
    assert ctcae.get("  Creatinine increased ").code == 10011368
    with pytest.raises(KeyError, match="Neutropenia"):
        ctcae.get("Neutropenia")


def test_terms_are_cached_but_callers_cannot_change_the_list():
    first = ctcae.terms()
    first.clear()
    assert len(ctcae.terms()) == 837
    assert ctcae.terms()[0] is ctcae.terms()[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctcae.terms()[0].term = "changed"


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("neutro", "Neutrophil count decreased"),
        ("plat count", "Platelet count decreased"),
        ("PLATELET", "Platelet count decreased"),
        ("  blood   bili ", "Blood bilirubin increased"),
        ("creatinine incr", "Creatinine increased"),
        ("rophil", "Neutrophil count decreased"),
    ],
)
def test_search_finds(query, first):
    assert ctcae.search(query)[0].term == first


def test_search_ranks_prefix_then_word_start_then_substring():
    assert [term.term for term in ctcae.search("bili")] == [
        "Biliary anastomotic leak",
        "Biliary fistula",
        "Biliary tract infection",
        "Blood bilirubin increased",
        "Hepatobiliary disorders - Other, specify",
        "Intraoperative hepatobiliary injury",
        "Irritability",
    ]
    assert [term.term for term in ctcae.search("neutro")] == [
        "Neutrophil count decreased",
        "Febrile neutropenia",
    ]


def test_search_needs_every_word():
    results = ctcae.search("count decreased", limit=100)
    assert results
    assert all("count" in t.term.lower() and "decreased" in t.term.lower() for t in results)
    assert ctcae.search("platelet increased") == []


@pytest.mark.parametrize(("limit", "expected"), [(3, 3), (1, 1), (0, 0), (-1, 0)])
def test_search_limit(limit, expected):
    assert len(ctcae.search("fistula", limit=limit)) == expected


def test_search_default_limit_is_20():
    assert len(ctcae.search("other specify")) == 20


@pytest.mark.parametrize("query", ["", "   ", "-", "zzzz"])
def test_search_without_matches(query):
    assert ctcae.search(query) == []
