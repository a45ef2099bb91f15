"""EPC QR code (EPC069-12, "SEPA credit transfer", version 002) payloads, and
the PNG of any QR code. Pure: no Odoo, no database."""

import io
import re
from decimal import ROUND_HALF_UP, Decimal

NAME_MAX = 70
REMITTANCE_MAX = 140
REFERENCE_MAX = 35
PAYLOAD_MAX_BYTES = 331
AMOUNT_MIN = Decimal("0.01")
AMOUNT_MAX = Decimal("999999999.99")

# Countries and territories of the SEPA scheme (EPC409-09, 2025).
SEPA_COUNTRIES = frozenset(
    "AD AT BE BG CH CY CZ DE DK EE ES FI FR GB GI GR HR HU IE IS IT LI LT LU LV MC MT NL "
    "NO PL PT RO SE SI SK SM VA AX BL GF GP MF MQ PM RE YT".split()
)
_BIC = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")


def normalize_iban(iban):
    return re.sub(r"\s+", "", iban or "").upper()


def iban_is_valid(iban):
    """ISO 13616: two letters, two check digits, up to 30 alphanumerics, mod 97 = 1."""
    iban = normalize_iban(iban)
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}", iban):
        return False
    digits = "".join(str(int(char, 36)) for char in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


def is_sepa_iban(iban):
    iban = normalize_iban(iban)
    return iban_is_valid(iban) and iban[:2] in SEPA_COUNTRIES


def rf_reference_is_valid(reference):
    """ISO 11649 creditor reference: RF, two check digits, up to 21 alphanumerics."""
    reference = normalize_iban(reference)
    if not re.fullmatch(r"RF[0-9]{2}[A-Z0-9]{1,21}", reference):
        return False
    digits = "".join(str(int(char, 36)) for char in reference[4:] + reference[:4])
    return int(digits) % 97 == 1


def truncate(text, limit):
    """One line of at most `limit` characters: EPC fields cannot hold line breaks."""
    return " ".join((text or "").split())[:limit].rstrip()


def epc_qr_payload(name, iban, amount, bic="", reference="", remittance=""):
    """The text of an EPC QR code asking to transfer `amount` euros to `name`'s
    `iban`. A valid ISO 11649 `reference` goes in the structured field; anything
    else goes, with `remittance`, in the unstructured one (at most 140 characters).
    Raises ValueError on what no bank would accept."""
    iban = normalize_iban(iban)
    if not is_sepa_iban(iban):
        raise ValueError(f"Not a SEPA IBAN: {iban!r}")
    bic = normalize_iban(bic)
    if bic and not _BIC.match(bic):
        raise ValueError(f"Not a BIC: {bic!r}")
    name = truncate(name, NAME_MAX)
    if not name:
        raise ValueError("The beneficiary needs a name")
    amount = Decimal(amount).quantize(AMOUNT_MIN, rounding=ROUND_HALF_UP)
    if not AMOUNT_MIN <= amount <= AMOUNT_MAX:
        raise ValueError(f"The amount must be between 0.01 and 999999999.99 EUR, not {amount}")
    structured = ""
    if reference and rf_reference_is_valid(reference):
        structured = normalize_iban(reference)
    else:
        remittance = " ".join(part for part in (reference, remittance) if part)
    lines = [
        "BCD",
        "002",
        "1",  # UTF-8
        "SCT",
        bic,
        name,
        iban,
        f"EUR{amount}",
        "",  # purpose
        structured[:REFERENCE_MAX],
        "" if structured else truncate(remittance, REMITTANCE_MAX),
    ]
    payload = "\n".join(lines).rstrip("\n")
    # Names and texts in UTF-8 may take two bytes a character: shorten the name.
    while len(payload.encode()) > PAYLOAD_MAX_BYTES:
        lines[5] = lines[5][:-1].rstrip()
        payload = "\n".join(lines).rstrip("\n")
    return payload


def qr_png(data, box_size=6):
    """A PNG of a QR code of `data`, error correction M (as the EPC requires)."""
    import qrcode  # noqa: PLC0415 - only the letters need it

    code = qrcode.QRCode(
        box_size=box_size, border=4, error_correction=qrcode.constants.ERROR_CORRECT_M
    )
    code.add_data(data.encode())
    code.make(fit=True)
    stream = io.BytesIO()
    try:
        # Pillow (Odoo has it) draws a code in a few milliseconds.
        import PIL  # noqa: F401, PLC0415
        from qrcode.image.pil import PilImage  # noqa: PLC0415

        code.make_image(image_factory=PilImage).save(stream, format="PNG")
    except ImportError:
        from qrcode.image.pure import PyPNGImage  # noqa: PLC0415

        code.make_image(image_factory=PyPNGImage).save(stream)
    return stream.getvalue()
