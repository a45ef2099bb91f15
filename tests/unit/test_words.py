from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tools.words import amount_in_words


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en_US", "one thousand, two hundred and thirty-four euro, fifty-six cents"),
        ("fr_FR", "mille deux cent trente-quatre euros et cinquante-six centimes"),
        ("de_DE", "eintausendzweihundertvierunddreißig Euro und sechsundfünfzig Cent"),
        ("es_ES", "mil doscientos treinta y cuatro euros con cincuenta y seis céntimos"),
    ],
)
def test_euros_in_the_customers_language(lang, expected):
    assert amount_in_words("1234.56", lang, "EUR") == expected


def test_other_currency_names():
    assert amount_in_words("2.00", "en_GB", "GBP") == "two pounds sterling, zero pence"


def test_language_without_currency_wording_falls_back_to_units_and_cents():
    assert (
        amount_in_words("1234.56", "it_IT", "EUR", "Euro")
        == "milleduecentotrentaquattro Euro 56/100"
    )


def test_unknown_language_falls_back_to_english_numbers():
    assert amount_in_words("3", "xx_XX", "EUR").startswith("three")


def test_three_decimal_currencies_keep_their_thousandths():
    # 1.250 KWD is one dinar and 250 fils, not "one dinar, twenty-five cents".
    assert amount_in_words("1.250", "en_US", "KWD", "Dinar", decimal_places=3) == (
        "one Dinar 250/1000"
    )
    assert amount_in_words("12.005", "fr_FR", "BHD", "Dinar", decimal_places=3) == (
        "douze Dinar 005/1000"
    )


def test_currencies_without_decimals_have_no_fraction():
    assert amount_in_words("1500", "en_US", "JPY", "Yen", decimal_places=0) == (
        "one thousand, five hundred Yen"
    )


@given(
    units=st.integers(min_value=0, max_value=10**9),
    decimal_places=st.sampled_from([0, 3]),
    data=st.data(),
)
def test_the_fraction_is_the_amounts_own(units, decimal_places, data):
    fraction = data.draw(st.integers(min_value=0, max_value=10**decimal_places - 1))
    amount = Decimal(units) + Decimal(fraction).scaleb(-decimal_places)
    words = amount_in_words(amount, "en_US", "KWD", "Dinar", decimal_places=decimal_places)
    if decimal_places:
        assert words.endswith(f" Dinar {fraction:03d}/1000")
    else:
        assert words.endswith(" Dinar")
