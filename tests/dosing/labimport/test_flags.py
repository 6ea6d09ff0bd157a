"""The flags of an imported value: tenfold at its boundary, blocking ones first."""

from decimal import Decimal

from dosing.labimport import flags


def test_tenfold_is_seven_times_or_a_seventh_and_more():
    assert flags.tenfold(Decimal(70), Decimal(10))
    assert not flags.tenfold(Decimal("69.99"), Decimal(10))
    assert flags.tenfold(Decimal(10), Decimal(70))
    assert not flags.tenfold(Decimal(10), Decimal("69.99"))
    assert flags.tenfold(Decimal(132), Decimal("13.2"))  # the decimal point slipped
    assert flags.tenfold(Decimal("1.32"), Decimal("13.2"))
    assert not flags.tenfold(Decimal(0), Decimal(10))  # no ratio with zero
    assert not flags.tenfold(Decimal(10), Decimal(0))
    assert not flags.tenfold(Decimal(10), None)


def facts(**changes):
    values = {
        "known_code": True,
        "known_unit": True,
        "canonical": Decimal("13.1"),
        "plausible": (2.0, 25.0),
        "usual": (6.0, 19.0),
        "comparator": "",
        "status": "final",
        "has_panel": True,
        "previous": None,
        "in_crf": None,
        "duplicate": False,
        "other_sample_date": False,
    }
    return flags.Facts(**{**values, **changes})


def test_flags_of_each_cause():
    assert flags.assess(facts()) == []
    assert flags.assess(facts(known_code=False, known_unit=False)) == [flags.UNKNOWN_CODE]
    assert flags.assess(facts(known_unit=False)) == [flags.UNKNOWN_UNIT]
    assert flags.assess(facts(canonical=Decimal("25.01"))) == [flags.IMPLAUSIBLE]
    assert flags.assess(facts(canonical=Decimal(25))) == [flags.UNUSUAL]
    assert flags.assess(facts(canonical=Decimal(19))) == []
    assert flags.assess(facts(comparator="<")) == [flags.NOT_A_RESULT]
    assert flags.assess(facts(status="entered-in-error")) == [flags.NOT_A_RESULT]
    assert flags.assess(facts(status="preliminary")) == [flags.PRELIMINARY]
    assert flags.assess(facts(has_panel=False)) == [flags.NO_WINDOW]
    assert flags.assess(facts(previous=Decimal("1.31"))) == [flags.TENFOLD]
    assert flags.assess(facts(in_crf=Decimal(131))) == [flags.TENFOLD]
    assert flags.assess(facts(duplicate=True)) == [flags.DUPLICATE]
    assert flags.assess(facts(other_sample_date=True)) == [flags.OTHER_SAMPLE_DATE]


def test_blocking_flags_stop_the_approval_and_warnings_do_not():
    assert flags.blocking([flags.TENFOLD, flags.NO_WINDOW])
    assert not flags.blocking([flags.TENFOLD, flags.UNUSUAL, flags.DUPLICATE])
