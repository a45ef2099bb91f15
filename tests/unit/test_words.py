import pytest

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
