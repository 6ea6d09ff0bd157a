"""French display of CTCAE v5 terms (dosing/data/ctcae_v5_fr.json): display only, keyed by
MedDRA code; terms stay coded in English."""

import json

import pytest

from dosing import ctcae

# The SOCs a LUTATHERA trial meets most: every term of each has a French name.
COVERED_SOCS = (
    "Blood and lymphatic system disorders",
    "Gastrointestinal disorders",
    "General disorders and administration site conditions",
    "Hepatobiliary disorders",
    "Investigations",
    "Metabolism and nutrition disorders",
    "Renal and urinary disorders",
    "Nervous system disorders",
    "Skin and subcutaneous tissue disorders",
)


def test_a_known_term_has_its_french_name():
    assert ctcae.french_name(10002272) == "Anémie"  # Anemia
    assert ctcae.french_name(ctcae.get("Platelet count decreased").code) == (
        "Diminution du nombre de plaquettes"
    )


def test_a_missing_term_has_none(monkeypatch):
    assert ctcae.french_name(None) is None
    assert ctcae.french_name(1) is None  # no such MedDRA code
    assert ctcae.french_soc("No such SOC") is None
    # A term the file lacks (every term has a French name today: pretend one is missing).
    names, socs = ctcae._french()
    fatigue = ctcae.get("Fatigue").code
    partial = {code: name for code, name in names.items() if code != fatigue}
    monkeypatch.setattr(ctcae, "_french", lambda: (partial, socs))
    assert ctcae.french_name(fatigue) is None
    assert ctcae.display("Fatigue", french=True) == "Fatigue"


def test_the_display_is_french_with_the_english_term_or_english_alone():
    assert ctcae.display("Anemia", french=True) == "Anémie (Anemia)"
    # The same word in both languages is written once.
    assert ctcae.french_name(ctcae.get("Fatigue").code) == "Fatigue"
    assert ctcae.display("Fatigue", french=True) == "Fatigue"
    assert ctcae.display("Anemia", french=False) == "Anemia"
    assert ctcae.display("Not a term", french=True) == "Not a term"
    assert ctcae.display("", french=True) == ""
    assert ctcae.display(None, french=True) == ""


@pytest.mark.parametrize("soc", COVERED_SOCS)
def test_every_term_of_the_main_socs_is_translated(soc):
    terms = [term for term in ctcae.terms() if term.soc == soc]
    assert terms
    assert [t.term for t in terms if not ctcae.french_name(t.code)] == []
    assert ctcae.french_soc(soc)


def test_every_term_and_soc_has_a_french_name_today():
    assert [t.term for t in ctcae.terms() if not ctcae.french_name(t.code)] == []
    assert all(ctcae.french_soc(t.soc) for t in ctcae.terms())


def test_the_file_keys_are_real_codes_and_say_where_they_come_from():
    data = json.loads(ctcae.FRENCH_FILE.read_text(encoding="utf-8"))
    assert "pharmacovigilance" in data["_provenance"]
    by_code = {term.code: term for term in ctcae.terms()}
    for code, entry in data["terms"].items():
        assert by_code[int(code)].term == entry["en"], code
        assert entry["fr"].strip() == entry["fr"] and entry["fr"], code


def test_french_words_find_the_english_term_only_for_a_french_search():
    assert ctcae.search("anemie", french=True)[0].term == "Anemia"
    assert ctcae.search("Anémie", french=True)[0].term == "Anemia"
    assert ctcae.search("diminution plaq", french=True)[0].term == "Platelet count decreased"
    assert ctcae.search("anémie") == []
    # English still works for a French user.
    assert ctcae.search("plat count", french=True)[0].term == "Platelet count decreased"


def test_a_french_name_finds_its_term():
    assert ctcae.from_french("nausées").term == "Nausea"
    assert ctcae.from_french("Nausea") is None
