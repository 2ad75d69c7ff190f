"""Every page, read as a person reads it, on the national data built from the mirror: no
raw code (``obligee``, ``publie_via_tiers``, ``observatoire``...) and no Python
placeholder (``None``, ``nan``, ``NaT``, ``<NA>``) in tables, texts, metrics, choices or
chart labels."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from odlab_compliance import db, vocab
from odlab_compliance.config import PROJECT_ROOT, load_settings
from odlab_compliance.outreach import followup, workshops
from odlab_compliance.ui import navigation

pytestmark = [pytest.mark.mirror, pytest.mark.slow]

APP = str(PROJECT_ROOT / "app.py")
PAGES = [f"pages/{p.file}" for p in navigation.PAGES]
# Codes a person must never read as such: each vocabulary's codes that are not also plain
# French words or labels ("publie", "inconnu" are words; a cell may say them).
RAW_CODES = {c for v in (vocab.OBLIGATION, vocab.STATUT, vocab.ETAPE, vocab.RUN_STATUS,
                         vocab.SNAPSHOT_KIND, vocab.SOURCE)
             for c in v.codes if c != v[c].label.lower()} - {"publie", "inconnu"}
PLACEHOLDERS = {"None", "nan", "NaN", "NaT", "<NA>", "null", "undefined", "empty"}
WORD = re.compile(r"[A-Za-z_<>-]+")
# Codes that are also the column names of machine exports are checked in cells, not in
# the column headers of downloads (those are not shown on screen).


@pytest.fixture(scope="module")
def home(national_home, tmp_path_factory):
    """A copy of the national database with a follow-up log and a workshop, so that the
    outreach pages show their tables too."""
    home = tmp_path_factory.mktemp("pages_text")
    shutil.copy(national_home / "odlab.duckdb", home / "odlab.duckdb")
    with db.connect(load_settings({"ODLAB_HOME": str(home)})) as con:
        followup.record(con, [followup.Change("213105554", etape=vocab.ETAPE_CONTACTEE,
                                              note="Appel au service numérique",
                                              date_effet=date(2026, 11, 2),
                                              prochaine_action=date(2026, 11, 20),
                                              contact="M. Dupont")],
                        editor="test", origin="test")
        workshops.create(con, titre="Atelier de Toulouse", date_atelier=date(2026, 10, 1),
                         editor="test", lieu_code_insee="31555", lieu_nom="Toulouse",
                         notes=None, invitees=pd.DataFrame(
                             {"siren": ["213100696", "213101496"], "nom": ["Blagnac", "Colomiers"],
                              "distance_km": [8.0, 11.5]}))
    return home


def texts_of(at: AppTest) -> list[tuple[str, str]]:
    """(where, text) of everything a person reads on the page."""
    out: list[tuple[str, str]] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning",
                 "success", "error", "code", "text"):
        for el in getattr(at, kind):
            out.append((kind, str(el.value)))
    for m in at.metric:
        out += [("metric", m.label), ("metric", str(m.value))]
    for kind in ("selectbox", "multiselect", "radio"):
        for el in getattr(at, kind):
            out += [(f"{kind} {el.label}", str(o)) for o in el.options]
    for df in at.dataframe:
        value = df.value
        if value.empty:   # the browser draws Streamlit's English « empty » in the grid
            out.append(("table", "empty"))
        # A missing value shows as the table's placeholder (Streamlit's default: "None").
        empty = df.proto.placeholder if df.proto.HasField("placeholder") else "None"
        for col in value.columns:
            out += [(f"table:{col}", empty if pd.isna(v) else str(v)) for v in value[col]]
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        for trace in spec.get("data", []):
            for key in ("name", "hovertemplate"):
                if isinstance(trace.get(key), str):
                    out.append((f"chart:{key}", trace[key]))
            for key in ("text", "x", "y"):
                values = trace.get(key)
                if isinstance(values, list):
                    out += [(f"chart:{key}", str(v)) for v in values if isinstance(v, str)]
    return out


def problems(at: AppTest) -> list[str]:
    bad = []
    for where, text in texts_of(at):
        if where.startswith("table:") or where.startswith("chart:") \
                or where.startswith(("selectbox", "multiselect", "radio")):
            if text.strip() in RAW_CODES | PLACEHOLDERS:
                bad.append(f"{where} : « {text} »")
            continue
        # A command in backticks (`python -m odlab_compliance harvest`) is not a code.
        words = set(WORD.findall(re.sub(r"`[^`]*`", " ", text)))
        for w in words & (RAW_CODES | PLACEHOLDERS):
            bad.append(f"{where} : « {w} » dans « {text[:80]} »")
    return bad


@pytest.mark.parametrize("query", [{"t": "fr", "regle": "odf", "au": "2"},
                                   {"t": "dep:31", "regle": "legal", "au": "1"}],
                         ids=["france-odf-2022", "haute-garonne-legal-2021"])
@pytest.mark.parametrize("page", PAGES)
def test_no_raw_code_or_placeholder(home, monkeypatch, page, query):
    monkeypatch.setenv("ODLAB_HOME", str(home))
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    bad = problems(at)
    assert not bad, "\n".join(sorted(set(bad))[:40])


ENGLISH_NUMBER = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$|^-?\d+\.\d+$|^-0(,0+)?$")


def number_problems(at: AppTest) -> list[str]:
    """Numbers a person would read the English way: a numeric column shown without the
    French (``localized``) format, or a text cell like « 4.8 », « 4,681 » or « -0 »."""
    bad = []
    for df in at.dataframe:
        config = json.loads(df.proto.columns or "{}")
        value = df.value
        for col in value.columns:
            column = value[col]
            if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
                fmt = config.get(str(col), {}).get("type_config", {}).get("format")
                if fmt != "localized":
                    bad.append(f"colonne numérique « {col} » sans format français")
            else:
                bad += [f"« {col} » : « {v} »" for v in column.dropna().astype(str)
                        if ENGLISH_NUMBER.match(v.strip())]
    for m in at.metric:
        if ENGLISH_NUMBER.match(str(m.value).strip()):
            bad.append(f"indicateur « {m.label} » : « {m.value} »")
    return bad


@pytest.mark.parametrize("page", PAGES)
def test_numbers_are_written_the_french_way(home, monkeypatch, page):
    monkeypatch.setenv("ODLAB_HOME", str(home))
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in {"t": "dep:31", "regle": "odf", "au": "2"}.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(page)
    at.run()
    bad = number_problems(at)
    assert not bad, "\n".join(sorted(set(bad))[:30])


def test_the_number_scan_sees_english_numbers():
    at = AppTest.from_string(
        "import streamlit as st, pandas as pd\n"
        "st.dataframe(pd.DataFrame({'Population': [516735], 'Distance': ['4.8']}))\n"
        "st.metric('Obligées', '4,681')\n")
    at.run()
    found = number_problems(at)
    assert len(found) == 3, found


def test_the_scan_sees_a_raw_code_and_a_placeholder():
    """The scan itself can fail: a table cell with a code, a caption with None."""
    at = AppTest.from_string(
        "import streamlit as st, pandas as pd\n"
        "st.dataframe(pd.DataFrame({'Statut': ['publie_via_tiers', 'Publie']}))\n"
        "st.caption('Dernière mise à jour : None')\n")
    at.run()
    found = problems(at)
    assert any("publie_via_tiers" in p for p in found)
    assert any("None" in p for p in found)
