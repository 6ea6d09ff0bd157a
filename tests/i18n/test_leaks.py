"""The French walk's detectors (tests/i18n/leaks.py): each finds a leak planted in a page
and passes a clean one. Pure functions: no database."""

from __future__ import annotations

from tests.i18n.leaks import (
    decimal_points_in,
    english_months_in,
    iso_dates_in,
    leaks,
    raw_codes_in,
    texts,
    unitless_values_in,
    unmarked_english_in,
)


def page(body: str) -> str:
    return f'<!doctype html><html lang="fr"><body><main>{body}</main></body></html>'


CLEAN = page(
    "<h1>Cahier d'observation</h1><p>Réalisé le 04/12/2026 à 10:00 (Europe/Paris)</p>"
    "<table><tr><td>Poids (kg)</td><td>70,4</td></tr><tr><td>Durée</td><td>4,2 h</td></tr>"
    "<tr><td>Lymphocytes</td><td>0,8 × 10⁹/L</td></tr></table>"
    '<p>Évaluation RECIST 1.1, ODM 1.3.2 <span lang="en">Lymphocyte count decreased: '
    "&lt;0.8 - 0.5 x 10e9 /L, Jul</span></p>"
    "<p>Code du participant <code>BDX-001</code>, colonne <code>sampled_at</code></p>"
    '<input name="weight_kg" value="70.4" data-status="not_started">'
    "<p>Statut : Non commencé ; Poids 70,4 kg</p>"
)


def test_a_clean_page_has_no_leak():
    assert (
        leaks(
            CLEAN,
            codes=["approved"],
            units={"Poids": "kg"},
            marked_english=["Lymphocyte count decreased"],
        )
        == []
    )


def test_raw_codes():
    assert raw_codes_in("weight_kg et not_started") == ["weight_kg", "not_started"]
    assert raw_codes_in("NOT_STARTED") == ["NOT_STARTED"]
    assert raw_codes_in("is_staff: False → True") == ["is_staff", "False", "True"]
    assert raw_codes_in("T1 · None") == ["None"]
    assert raw_codes_in("Decimal('7.40')") == ["Decimal('"]
    assert raw_codes_in("Valeur : approved", ["approved"]) == ["approved"]
    assert raw_codes_in("Non commencé, BDX-001, 68Ga-DOTATATE, Poids (kg)", ["approved"]) == []


def test_iso_dates_and_timestamps():
    assert iso_dates_in("Né le 1951-10-26") == ["1951-10-26"]
    assert iso_dates_in("2026-12-04T10:00") == ["2026-12-04T10:00"]
    assert iso_dates_in("2026-12-06 11:08:48 UTC") == ["2026-12-06 11:08:48"]
    assert iso_dates_in("2026-12-03T09:15:00+00:00") == ["2026-12-03T09:15:00+00:00"]
    assert iso_dates_in("Mois 2026-01 : 0") == ["2026-01"]
    assert iso_dates_in("04/12/2026 10:00, BDX-2026-12, SHA-256 ab12") == []


def test_english_months_and_the_wrong_french_cut():
    assert english_months_in("24 Jan 2027 – 14 Mar 2027") == ["Jan", "Mar"]
    assert english_months_in("le 21 Jul 2026") == ["Jul"]
    assert english_months_in("December 4, 2026") == ["December"]
    assert english_months_in("le 07 Jui 2026") == ["Jui"]
    assert english_months_in("at 10:00 PM") == ["10:00 PM"]
    assert english_months_in("4 déc. 2026, juil. 2026, mars, mai, Maintenant, Mars") == []


def test_decimal_points():
    assert decimal_points_in("0.8 x 10e9/L") == ["0.8"]
    assert decimal_points_in("4.2 h") == ["4.2"]
    assert decimal_points_in("70.4 / 74.0") == ["70.4", "74.0"]
    assert decimal_points_in("RECIST 1.1, ODM 1.3.2, axe-core 4.12, version 2.1") == []
    assert decimal_points_in("0,8 × 10⁹/L ; 4,2 h ; 10.0.0.5") == []


def test_values_without_their_unit():
    units = {"Poids": "kg", "Taille": "cm"}
    assert unitless_values_in("Poids 70,4 / 74,0", units) == ["Poids 70,4 / 74,0"]
    assert unitless_values_in("Taille : 163,0", units) == ["Taille 163,0"]
    assert unitless_values_in("Poids 70,4 kg ; Taille 163 cm", units) == []
    assert unitless_values_in("Activité 7236 MBq", {"Activité": "GBq"}) == []


def test_ctcae_text_must_be_marked_english():
    term = "Lymphocyte count decreased"
    assert unmarked_english_in(f"Diminution des lymphocytes ({term})", [term]) == [term]
    unmarked = page(f"<td>Diminution des lymphocytes ({term})</td>")
    marked = page(f'<td>Diminution des lymphocytes (<span lang="en">{term}</span>)</td>')
    assert [leak.kind for leak in leaks(unmarked, marked_english=[term])] == [
        "CTCAE text without lang=en"
    ]
    assert leaks(marked, marked_english=[term]) == []


def test_text_inside_lang_en_and_code_is_left_out_attributes_read():
    html = page(
        '<div lang="en"><p>Jul <b>2026-12-04</b></p></div><p title="le 2026-12-04">x</p>'
        "<code>weight_kg</code><ul><li>not_started<li>ok</ul>"
    )
    nodes = texts(html)[0]
    assert [(n.text, n.english) for n in nodes if n.english] == [
        ("Jul", True),
        ("2026-12-04", True),
    ]
    found = {(leak.kind, leak.found) for leak in leaks(html)}
    assert found == {("ISO date", "2026-12-04"), ("raw code", "not_started")}


def test_typed_text_is_quoted_as_typed():
    html = page("<blockquote>163.0 cm here, which is right?</blockquote>")
    assert leaks(html, verbatim=["163.0 cm here, which is right?"]) == []
    assert [leak.found for leak in leaks(html)] == ["163.0"]


def test_the_utc_title_of_a_time_element_is_left_out():
    html = page(
        '<time datetime="2026-12-06T10:00Z" title="2026-12-06 10:00:00 UTC">'
        "06/12/2026 11:00 CET</time>"
    )
    assert leaks(html) == []
    assert [leak.found for leak in leaks(page('<span title="le 2026-12-06">x</span>'))] == [
        "2026-12-06"
    ]


def test_a_typed_number_is_left_out_as_a_whole_word_only():
    assert [leak.found for leak in leaks(page("<td>2.1 et 12.15</td>"), verbatim=["2.1"])] == [
        "12.15"
    ]
