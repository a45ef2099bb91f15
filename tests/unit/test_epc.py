from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tools import epc
from tools.epc import PAYLOAD_MAX_BYTES, is_sepa_iban

IBAN = "DE89 3704 0044 0532 0130 00"
# The country codes of Odoo 18's base.sepa_zone, which the report passes in.
SEPA = frozenset(
    "AD AT AX BE BG BL CH CY CZ DE DK EE ES FI FR GB GF GG GI GP GR HR HU IE IM IS IT JE "
    "LI LT LU LV MC MF MQ MT NL NO PL PM PT RE RO SE SI SK SM VA YT".split()
)


def epc_payload(fields, sepa_countries=SEPA):
    return epc.epc_payload(fields, sepa_countries)


def sct_fields(name, iban, amount, bic="", structured="", text=""):
    """The fields as Odoo's account_qr_code_sepa lists them (`_get_qr_vals`)."""
    return [
        "BCD",
        "002",
        "1",
        "SCT",
        bic,
        name[:71],
        iban.replace(" ", ""),
        f"EUR{amount}",
        "",
        structured,
        text[:141],
        "",
    ]


def test_payload_follows_epc069_12_version_002():
    payload = epc_payload(
        sct_fields("Brightline GmbH", IBAN, Decimal("1234.5"), "COBADEFFXXX", text="DUN/2026/1")
    )
    assert payload.split("\n") == [
        "BCD",
        "002",
        "1",
        "SCT",
        "COBADEFFXXX",
        "Brightline GmbH",
        "DE89370400440532013000",
        "EUR1234.50",
        "",
        "",
        "DUN/2026/1",
    ]


def test_structured_creditor_reference_goes_alone():
    payload = epc_payload(sct_fields("Acme", IBAN, 10, structured="RF18539007547034", text="x"))
    lines = payload.split("\n")
    assert lines[9] == "RF18539007547034"
    assert len(lines) == 10, "no remittance text after a structured reference"


def test_bic_is_optional_in_version_002():
    assert epc_payload(sct_fields("Acme", IBAN, 10)).split("\n")[4] == ""


def test_long_name_and_text_are_cut_to_the_epc_limits_not_odoos():
    lines = epc_payload(sct_fields("N" * 100, IBAN, 10, text="T" * 200)).split("\n")
    assert lines[5] == "N" * 70, "Odoo cuts at 71; the EPC allows 70"
    assert lines[10] == "T" * 140, "Odoo cuts at 141; the EPC allows 140"


def test_line_breaks_cannot_break_the_format():
    lines = epc_payload(sct_fields("Acme\nLtd", IBAN, 10, text="a\nb")).split("\n")
    assert lines[5] == "Acme Ltd"
    assert lines[10] == "a b"


def test_a_structured_reference_is_cut_to_35_characters():
    lines = epc_payload(sct_fields("Acme", IBAN, 10, structured="RF" + "7" * 40)).split("\n")
    assert lines[9] == "RF" + "7" * 33


def test_the_information_line_stays_one_line_of_70():
    fields = sct_fields("Acme", IBAN, 10, text="pay now")
    fields[11] = "thanks\n" + "x" * 100
    lines = epc_payload(fields).split("\n")
    assert len(lines) == 12
    assert lines[11] == ("thanks " + "x" * 100)[:70]


@given(bic=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ", max_size=14))
def test_a_bic_is_kept_only_when_it_is_one(bic):
    compact = bic.replace(" ", "")
    is_bic = len(compact) in (8, 11) and compact[:4].isalpha() and compact[4:6].isalpha()
    try:
        lines = epc_payload(sct_fields("Acme", IBAN, 10, bic=bic)).split("\n")
    except ValueError:
        assert compact and not is_bic
    else:
        assert lines[4] == compact
        assert not compact or is_bic


@pytest.mark.parametrize(
    ("iban", "bic", "amount"),
    [
        ("DE89 3704 0044 0532 0130 01", "", 10),  # wrong check digits
        ("US12 3456 7890 1234 5678 90", "", 10),  # not an IBAN at all
        ("BR15 0000 0000 0000 1093 2840 814P 2", "", 10),  # a valid IBAN outside SEPA
        (IBAN, "NOTABIC", 10),
        (IBAN, "", 0),
        (IBAN, "", Decimal("1000000000")),
        (IBAN, "", "ten"),
    ],
)
def test_what_no_bank_accepts_is_refused(iban, bic, amount):
    with pytest.raises(ValueError):
        epc_payload(sct_fields("Acme", iban, amount, bic=bic))


def test_other_currencies_and_other_codes_are_refused():
    fields = sct_fields("Acme", IBAN, 10)
    fields[7] = "USD10"
    with pytest.raises(ValueError):
        epc_payload(fields)
    with pytest.raises(ValueError):
        epc_payload(["BCD", "001", "1", "SCT", *fields[4:]])


def test_sepa_iban():
    assert is_sepa_iban("GB29 NWBK 6016 1331 9268 19", SEPA)
    assert not is_sepa_iban("BR1500000000000010932840814P2", SEPA), "valid, outside SEPA"
    assert not is_sepa_iban("DE89 3704 0044 0532 0130 01", SEPA), "wrong check digits"
    assert not is_sepa_iban("", SEPA)


def test_the_sepa_zone_is_the_callers():
    assert not is_sepa_iban(IBAN, {"FR"}), "a valid IBAN of a country not in the zone given"
    with pytest.raises(ValueError):
        epc_payload(sct_fields("Acme", IBAN, 10), sepa_countries={"FR"})


names = st.text(min_size=1, max_size=200).filter(lambda text: text.split())


@given(
    name=names,
    remittance=st.text(max_size=400),
    cents=st.integers(min_value=1, max_value=99999999999),
)
def test_any_input_fits_an_epc_code(name, remittance, cents):
    amount = Decimal(cents) / 100
    payload = epc_payload(sct_fields(name, IBAN, amount, bic="COBADEFF", text=remittance))
    lines = payload.split("\n")
    assert len(payload.encode()) <= PAYLOAD_MAX_BYTES
    assert 0 < len(lines[5]) <= 70
    assert len(lines) < 11 or len(lines[10]) <= 140
    assert Decimal(lines[7][3:]) == amount
