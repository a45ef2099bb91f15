from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tools.epc import (
    PAYLOAD_MAX_BYTES,
    epc_qr_payload,
    iban_is_valid,
    is_sepa_iban,
    qr_png,
    rf_reference_is_valid,
)

IBAN = "DE89 3704 0044 0532 0130 00"


def test_payload_follows_epc069_12_version_002():
    payload = epc_qr_payload(
        "Brightline GmbH", IBAN, Decimal("1234.5"), bic="COBADEFFXXX", reference="DUN/2026/0001"
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
        "DUN/2026/0001",
    ]


def test_structured_creditor_reference_goes_in_its_own_field():
    payload = epc_qr_payload("Acme", IBAN, 10, reference="RF18 5390 0754 7034")
    lines = payload.split("\n")
    assert lines[9] == "RF18539007547034"
    assert len(lines) == 10, "no remittance text after a structured reference"


def test_bic_is_optional_in_version_002():
    assert epc_qr_payload("Acme", IBAN, 10).split("\n")[4] == ""


def test_long_name_and_text_are_truncated_to_the_limits():
    payload = epc_qr_payload("N" * 100, IBAN, 10, reference="R" * 30, remittance="T" * 200)
    lines = payload.split("\n")
    assert lines[5] == "N" * 70
    assert len(lines[10]) == 140
    assert lines[10].startswith("R" * 30 + " T")


def test_line_breaks_cannot_break_the_format():
    payload = epc_qr_payload("Acme\nLtd", IBAN, 10, remittance="a\nb")
    assert payload.split("\n")[5] == "Acme Ltd"
    assert payload.split("\n")[10] == "a b"


@pytest.mark.parametrize(
    ("iban", "bic", "amount"),
    [
        ("DE89 3704 0044 0532 0130 01", "", 10),  # wrong check digits
        ("US12 3456 7890 1234 5678 90", "", 10),  # not an IBAN at all
        ("BR15 0000 0000 0000 1093 2840 814P 2", "", 10),  # a valid IBAN outside SEPA
        (IBAN, "NOTABIC", 10),
        (IBAN, "", 0),
        (IBAN, "", Decimal("1000000000")),
    ],
)
def test_what_no_bank_accepts_is_refused(iban, bic, amount):
    with pytest.raises(ValueError):
        epc_qr_payload("Acme", iban, amount, bic=bic)


def test_iban_and_reference_checks():
    assert iban_is_valid("GB29 NWBK 6016 1331 9268 19")
    assert is_sepa_iban("GB29 NWBK 6016 1331 9268 19")
    assert iban_is_valid("BR1500000000000010932840814P2")
    assert not is_sepa_iban("BR1500000000000010932840814P2")
    assert rf_reference_is_valid("RF18539007547034")
    assert not rf_reference_is_valid("RF19539007547034")


def test_qr_png_is_a_png():
    assert qr_png("BCD\n002").startswith(b"\x89PNG\r\n\x1a\n")


names = st.text(min_size=1, max_size=200).filter(lambda text: text.split())


@given(
    name=names,
    remittance=st.text(max_size=400),
    cents=st.integers(min_value=1, max_value=99999999999),
)
def test_any_input_fits_an_epc_code(name, remittance, cents):
    amount = Decimal(cents) / 100
    payload = epc_qr_payload(name, IBAN, amount, bic="COBADEFF", remittance=remittance)
    lines = payload.split("\n")
    assert len(payload.encode()) <= PAYLOAD_MAX_BYTES
    assert 0 < len(lines[5]) <= 70
    assert len(lines) < 11 or len(lines[10]) <= 140
    assert Decimal(lines[7][3:]) == amount
