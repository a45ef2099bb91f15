"""Amounts in words for letters. Pure: no Odoo, no database."""

from decimal import Decimal

from num2words import num2words


def amount_in_words(amount, lang, currency_code, currency_name=""):
    """`amount` in words in `lang` (e.g. "fr_FR", "de"), with the currency's name:
    num2words' own wording where it knows the language and currency, else the
    units and cents in words around `currency_name`."""
    amount = Decimal(amount).quantize(Decimal("0.01"))
    for code in _lang_candidates(lang):
        try:
            return num2words(amount, lang=code, to="currency", currency=currency_code)
        except (NotImplementedError, AttributeError, KeyError):
            continue
        except OverflowError:
            break
    # A language without currency wording in num2words: "N <currency> M/100".
    units, cents = divmod(int(amount * 100), 100)
    words = _cardinal(units, lang)
    label = currency_name or currency_code
    return f"{words} {label} {cents:02d}/100"


def _lang_candidates(lang):
    lang = (lang or "en").replace("-", "_")
    candidates = [lang, lang.split("_")[0]]
    return list(dict.fromkeys(candidates))


def _cardinal(number, lang):
    for code in _lang_candidates(lang):
        try:
            return num2words(number, lang=code)
        except NotImplementedError:
            continue
    return num2words(number, lang="en")
