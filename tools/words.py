"""Amounts in words for letters. Pure: no Odoo, no database."""

from decimal import Decimal

from num2words import num2words


def amount_in_words(amount, lang, currency_code, currency_name="", decimal_places=2):
    """`amount` in words in `lang` (e.g. "fr_FR", "de"), with the currency's name:
    num2words' own wording where it knows the language and currency (for currencies
    of two decimals, as num2words' currency wording assumes), else the units and
    the decimals in words around `currency_name`, e.g. "... KWD 250/1000"."""
    quantum = Decimal(1).scaleb(-decimal_places)
    amount = Decimal(amount).quantize(quantum)
    if decimal_places == 2:
        for code in _lang_candidates(lang):
            try:
                return num2words(amount, lang=code, to="currency", currency=currency_code)
            except (NotImplementedError, AttributeError, KeyError):
                continue
            except OverflowError:
                break
    # A language without currency wording in num2words: "N <currency> M/100".
    units, fraction = divmod(int(amount.scaleb(decimal_places)), 10**decimal_places)
    words = _cardinal(units, lang)
    label = currency_name or currency_code
    if not decimal_places:
        return f"{words} {label}"
    return f"{words} {label} {fraction:0{decimal_places}d}/{10**decimal_places}"


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
