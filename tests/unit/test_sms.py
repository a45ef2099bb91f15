from hypothesis import given
from hypothesis import strategies as st

from tools.sms import (
    GSM_BASIC,
    GSM_EXTENSION,
    gsm_spaces,
    is_gsm,
    sms_length,
    sms_parts,
)

gsm_text = st.text(alphabet=sorted(GSM_BASIC | GSM_EXTENSION))


def test_one_part_up_to_160_gsm_characters():
    assert sms_parts("a" * 160) == 1
    assert sms_parts("a" * 161) == 2
    assert sms_parts("a" * 306) == 2
    assert sms_parts("a" * 307) == 3
    assert sms_parts("") == 0


def test_extension_characters_count_twice():
    assert sms_length("€") == 2
    assert sms_parts("€" * 80) == 1
    assert sms_parts("€" * 80 + "a") == 2


def test_one_character_outside_gsm_makes_the_whole_text_ucs2():
    assert not is_gsm("Fälligkeit für Rechnung – bitte")  # the en dash is not GSM
    assert sms_parts("ê" * 70) == 1
    assert sms_parts("ê" * 71) == 2
    assert sms_parts("ê" * 134) == 2
    assert sms_parts("ê" * 135) == 3
    # An emoji takes two UTF-16 code units.
    assert sms_length("😀") == 2


def test_accents_of_the_gsm_alphabet_stay_gsm():
    assert is_gsm("Échéance dépassée: 1.250,00 € à payer")


@given(gsm_text)
def test_gsm_parts_hold_the_text(text):
    parts, length = sms_parts(text), sms_length(text)
    capacity = 160 if parts <= 1 else 153 * parts
    assert length <= capacity
    if parts > 1:
        # One part fewer would not hold it.
        assert length > (160 if parts == 2 else 153 * (parts - 1))


@given(st.text(min_size=1))
def test_parts_never_shrink_when_text_grows(text):
    assert sms_parts(text + "x") >= sms_parts(text)


def test_typographic_spaces_become_plain_so_the_text_stays_gsm():
    amount = "1\u202f200,00\u00a0€"  # as Odoo formats it in French
    assert not is_gsm(amount)
    assert gsm_spaces(amount) == "1 200,00 €"
    assert is_gsm(gsm_spaces(amount))
