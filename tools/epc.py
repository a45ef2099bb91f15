"""EPC QR code (EPC069-12, "SEPA credit transfer", version 002): the limits a
payload must keep for banks to accept it, and the PNG of any QR code. Odoo's
`account_qr_code_sepa` builds the fields; the check digits are python-stdnum's.
Pure: no Odoo, no database."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban

NAME_MAX = 70
REMITTANCE_MAX = 140
REFERENCE_MAX = 35
PAYLOAD_MAX_BYTES = 331
AMOUNT_MIN = Decimal("0.01")
AMOUNT_MAX = Decimal("999999999.99")

# Positions of the fields (EPC069-12, chapter 3.4).
BIC, NAME, IBAN, AMOUNT, PURPOSE, STRUCTURED, UNSTRUCTURED = 4, 5, 6, 7, 8, 9, 10


def is_sepa_iban(iban, sepa_countries):
    """A valid IBAN (ISO 13616 check digits) of one of `sepa_countries` (country
    codes: Odoo's base.sepa_zone, read by the caller)."""
    return stdnum_iban.is_valid(iban or "") and stdnum_iban.compact(iban)[:2] in sepa_countries


def truncate(text, limit):
    """One line of at most `limit` characters: EPC fields cannot hold line breaks."""
    return " ".join((text or "").split())[:limit].rstrip()


def epc_payload(fields, sepa_countries):
    """The text of an EPC QR code from its `fields` (as Odoo's SEPA QR method lists
    them: "BCD", "002", "1", "SCT", BIC, name, IBAN, "EUR<amount>", purpose,
    structured reference, remittance text[, information]), kept within what banks
    accept: one-line fields cut to their limits, the amount with two decimals,
    331 bytes at most. `sepa_countries`: the country codes of the SEPA zone (see
    is_sepa_iban). Raises ValueError on what no bank would accept."""
    lines = [str(field or "") for field in fields]
    lines += [""] * (UNSTRUCTURED + 1 - len(lines))
    if lines[:4] != ["BCD", "002", "1", "SCT"]:
        raise ValueError(f"Not an EPC SEPA credit transfer: {lines[:4]!r}")
    iban = stdnum_iban.compact(lines[IBAN])
    if not is_sepa_iban(iban, sepa_countries):
        raise ValueError(f"Not a SEPA IBAN: {iban!r}")
    bic = stdnum_bic.compact(lines[BIC])
    if bic and not stdnum_bic.is_valid(bic):
        raise ValueError(f"Not a BIC: {bic!r}")
    name = truncate(lines[NAME], NAME_MAX)
    if not name:
        raise ValueError("The beneficiary needs a name")
    currency, amount = lines[AMOUNT][:3], lines[AMOUNT][3:]
    try:
        amount = Decimal(amount).quantize(AMOUNT_MIN, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise ValueError(f"Not an amount: {lines[AMOUNT]!r}") from None
    if currency != "EUR" or not AMOUNT_MIN <= amount <= AMOUNT_MAX:
        raise ValueError(
            f"The amount must be between 0.01 and 999999999.99 EUR, not {lines[AMOUNT]}"
        )
    structured = truncate(lines[STRUCTURED], REFERENCE_MAX)
    lines[BIC : UNSTRUCTURED + 1] = [
        bic,
        name,
        iban,
        f"EUR{amount}",
        truncate(lines[PURPOSE], 4),
        structured,
        # A code holds a structured reference or a text, not both.
        "" if structured else truncate(lines[UNSTRUCTURED], REMITTANCE_MAX),
    ]
    lines[UNSTRUCTURED + 1 :] = [truncate(line, 70) for line in lines[UNSTRUCTURED + 1 :]]
    payload = "\n".join(lines).rstrip("\n")
    # Names and texts in UTF-8 may take two bytes a character: shorten the name.
    while len(payload.encode()) > PAYLOAD_MAX_BYTES:
        lines[NAME] = lines[NAME][:-1].rstrip()
        payload = "\n".join(lines).rstrip("\n")
    return payload
