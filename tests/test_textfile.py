"""textfile.py on its own: lenient decoding of machine-made files, strict UTF-8 for files
typed by people (naming the bad lines), and the delimiter of a header line."""

from __future__ import annotations

import pytest

from odlab_compliance import textfile
from odlab_compliance.errors import InputError


def test_decode_lenient_utf8_drops_the_bom():
    text, encoding = textfile.decode_lenient("\ufeffsiren;nom\n1;Évry\n".encode())
    assert (text, encoding) == ("siren;nom\n1;Évry\n", textfile.UTF8)


def test_decode_lenient_falls_back_to_windows_1252():
    data = "siren;nom\n1;Évry — 2 €\n".encode("cp1252")
    text, encoding = textfile.decode_lenient(data)
    assert encoding == textfile.CP1252 and text == "siren;nom\n1;Évry — 2 €\n"


def test_decode_lenient_never_fails_on_bytes_undefined_in_1252():
    text, encoding = textfile.decode_lenient(b"a\x81b\xe9")  # 0x81 has no cp1252 character
    assert encoding == textfile.CP1252 and text == "a\ufffdbé"


@pytest.mark.parametrize("header,expected", [
    ("siren;agents;annee", ";"), ("siren,agents,annee", ","), ("siren\tagents", "\t"),
    ("nom;commentaire, libre;x", ";"), ("a,b;c,d;e", ";"),   # a tie goes to ";"
    ("siren", ","),                                         # one column: the CSV default
])
def test_sniff_delimiter(header, expected):
    assert textfile.sniff_delimiter(header) == expected


def test_non_utf8_lines_are_numbered_from_one():
    data = "siren;nom\n1;Évry\n".encode() + "2;Sète\n".encode("latin-1") + b"3;Paris\n" \
        + "4;Orléans".encode("latin-1")
    assert textfile.non_utf8_lines(data) == [3, 5]


def test_utf8_text_accepts_utf8_with_or_without_bom():
    assert textfile.utf8_text("a;é\n".encode(), "f.csv") == "a;é\n"
    assert textfile.utf8_text("\ufeffa;é\n".encode(), "f.csv") == "a;é\n"


def test_utf8_text_refuses_latin1_naming_file_and_lines():
    data = b"siren;nom\n213105554;Toulouse\n" + "213401268;Sète\n".encode("latin-1")
    with pytest.raises(InputError) as err:
        textfile.utf8_text(data, "suivi.csv")
    text = str(err.value)
    assert text.startswith("suivi.csv : le fichier n'est pas en UTF-8")
    assert "CSV UTF-8" in text                      # how to fix it in Excel
    assert [e.line for e in err.value.errors] == [3]
    assert "Aucune donnée n'a été enregistrée." in text
