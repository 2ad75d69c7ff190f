from odlab_compliance.identifiers import (
    commune_code_problem,
    is_valid_siren,
    is_valid_siret,
    siren_of_siret,
    siren_problem,
)


def test_siren_luhn():
    assert is_valid_siren("210100012")        # L'Abergement-Clémenciat
    assert is_valid_siren("200046977")        # Métropole de Lyon
    assert not is_valid_siren("210100013")
    assert not is_valid_siren("21010001")


def test_siret_and_la_poste_exception():
    assert is_valid_siret("21310555400017")   # Toulouse, mairie
    assert not is_valid_siret("21310555400018")
    # A La Poste establishment: digit sum multiple of 5, Luhn fails.
    assert is_valid_siret("35600000000015")
    assert not is_valid_siret("35600000000016")


def test_problems_are_french_sentences():
    assert siren_problem("210100012") is None
    assert "nombre" in siren_problem("210100012.0")
    assert "nombre" in siren_problem("2.101E+08")
    assert "clé" in siren_problem("210100013")
    assert "9" in siren_problem("2101")
    assert commune_code_problem("01001") is None
    assert commune_code_problem("2A004") is None
    assert "nombre" in commune_code_problem(1001)
    assert commune_code_problem("1001") is not None


def test_siren_of_siret():
    assert siren_of_siret("21310555400017") == "213105554"
    assert siren_of_siret("") is None
    assert siren_of_siret("abc") is None
