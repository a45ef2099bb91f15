from pathlib import Path

import polib
import pytest

I18N = Path(__file__).resolve().parents[2] / "i18n"
# Python expressions (the reports' file names), not sentences.
UNTRANSLATED = {
    "'Dunning letter - %s' % (object.name or '').replace('/', '-')",
    "'Statement of account - %s' % (object.commercial_partner_id.name or '')",
    "'Collection dossier - %s' % (object.commercial_partner_id.name or '')",
    "'Payment plan - %s' % (object.name or '').replace('/', '-')",
}


@pytest.mark.parametrize("lang", ["fr", "de", "es"])
def test_every_term_is_translated(lang):
    pot = polib.pofile(I18N / "account_dunning.pot")
    po = {entry.msgid: entry.msgstr for entry in polib.pofile(I18N / f"{lang}.po")}
    missing = [
        entry.msgid for entry in pot if entry.msgid not in UNTRANSLATED and not po.get(entry.msgid)
    ]
    assert not missing, f"{len(missing)} terms without a {lang} translation: {missing[:5]}"


@pytest.mark.parametrize("lang", ["fr", "de", "es"])
def test_placeholders_are_kept(lang):
    for entry in polib.pofile(I18N / f"{lang}.po"):
        for placeholder in ("%(", "{{", "t-out"):
            assert entry.msgid.count(placeholder) == entry.msgstr.count(placeholder) or (
                not entry.msgstr
            ), entry.msgid
