"""How many parts a text message takes: GSM 03.38 text (7-bit, with the
extension table's characters counting two) fits 160 characters in one part and
153 per part once split; anything else goes as UCS-2, 70 and 67 (counted in
UTF-16 code units, as phones do). Pure: no Odoo."""

GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = set("^{}\\[~]|€\f")

SINGLE_GSM, PART_GSM = 160, 153
SINGLE_UCS2, PART_UCS2 = 70, 67


# Spaces that number and date formats use (no-break, narrow no-break, thin): not in
# the GSM alphabet, they alone would make a message UCS-2 and halve its length.
SPACES = dict.fromkeys(map(ord, "\u00a0\u202f\u2009\u2007"), " ")


def gsm_spaces(text):
    """`text` with its typographic spaces made plain spaces."""
    return text.translate(SPACES)


def is_gsm(text):
    """Whether `text` can go in the GSM 7-bit alphabet."""
    return all(char in GSM_BASIC or char in GSM_EXTENSION for char in text)


def sms_length(text):
    """Length of `text` in its encoding's units: septets, or UTF-16 code units."""
    if is_gsm(text):
        return sum(2 if char in GSM_EXTENSION else 1 for char in text)
    return len(text.encode("utf-16-le")) // 2


def sms_parts(text):
    """Number of parts `text` is sent in (0 for an empty text)."""
    length = sms_length(text)
    single, part = (SINGLE_GSM, PART_GSM) if is_gsm(text) else (SINGLE_UCS2, PART_UCS2)
    if length <= single:
        return 1 if length else 0
    return -(-length // part)
