"""Settings: every value is checked at start-up; a wrong one is named, in French, with the
form it should have: exit code 2 from the CLI, an error box in the dashboard."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

from odlab_compliance.config import PROJECT_ROOT, SETTINGS, SettingError, load_settings

BAD = [
    ("ODLAB_HTTP_TIMEOUT", "abc", "nombre de secondes"),
    ("ODLAB_HTTP_TIMEOUT", "0", "supérieur à 0"),
    ("ODLAB_HTTP_TIMEOUT", "-3", "supérieur à 0"),
    ("ODLAB_HTTP_TIMEOUT", "inf", "supérieur à 0"),
    ("ODLAB_HTTP_RETRIES", "2.5", "entier"),
    ("ODLAB_HTTP_RETRIES", "-1", "entier positif"),
    ("ODLAB_HTTP_BACKOFF", "vite", "nombre de secondes"),
    ("ODLAB_STALE_DAYS", "0", "jours"),
    ("ODLAB_STALE_DAYS", "45j", "jours"),
    ("ODLAB_MAP_BASEMAP", "peut-être", "1 ou 0"),
    ("ODLAB_DATAGOUV_URL", "www.data.gouv.fr", "http(s)://"),
    ("ODLAB_RECHERCHE_ENTREPRISES_URL", "ftp://x", "http(s)://"),
    ("ODLAB_BASE_URL_UNPKG", "localhost:8000", "http(s)://"),
]


@pytest.mark.parametrize("name,value,expected", BAD)
def test_a_bad_value_is_named_with_its_expected_form(env, name, value, expected):
    with pytest.raises(SettingError) as err:
        load_settings({**env, name: value})
    text = str(err.value)
    assert f"{name}=« {value} »" in text and expected in text
    assert err.value.problems and len(err.value.problems) == 1


def test_every_bad_value_is_listed_at_once(env):
    with pytest.raises(SettingError) as err:
        load_settings({**env, "ODLAB_HTTP_TIMEOUT": "abc", "ODLAB_STALE_DAYS": "x"})
    assert len(err.value.problems) == 2
    assert "2 réglages invalides" in str(err.value)


def test_paths_are_checked(env, tmp_path):
    a_file = tmp_path / "f"
    a_file.write_text("x")
    cases = {"ODLAB_MIRROR_DIR": (str(tmp_path / "absent"), "n'existe pas"),
             "ODLAB_HOME": (str(a_file), "fichier"),
             "ODLAB_DB": (str(tmp_path), "dossier")}
    for name, (value, why) in cases.items():
        with pytest.raises(SettingError, match=why):
            load_settings({**env, name: value})
    (tmp_path / "m").mkdir()
    assert load_settings({**env, "ODLAB_MIRROR_DIR": str(tmp_path / "m")}).mirror_dir \
        == (tmp_path / "m").resolve()


@pytest.mark.parametrize("name,value,attr,parsed", [
    ("ODLAB_HTTP_TIMEOUT", "0.5", "http_timeout", 0.5),
    ("ODLAB_HTTP_TIMEOUT", "2,5", "http_timeout", 2.5),     # a French decimal comma
    ("ODLAB_HTTP_RETRIES", "0", "http_retries", 0),
    ("ODLAB_HTTP_BACKOFF", "0", "http_backoff", 0.0),
    ("ODLAB_STALE_DAYS", "1", "stale_days", 1),
    ("ODLAB_MAP_BASEMAP", "oui", "map_basemap", True),
    ("ODLAB_MAP_BASEMAP", "OFF", "map_basemap", False),
])
def test_good_values_are_read(env, name, value, attr, parsed):
    assert getattr(load_settings({**env, name: value}), attr) == parsed


def test_empty_means_default(env):
    s = load_settings({**env, "ODLAB_HTTP_TIMEOUT": "", "ODLAB_STALE_DAYS": ""})
    assert s.http_timeout == 30 and s.stale_days == 45


def test_every_setting_has_an_expected_form():
    assert all(s.expected and s.check for s in SETTINGS)


def _cli(env_extra: dict[str, str], *argv: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ODLAB_")}
    return subprocess.run([sys.executable, "-m", "odlab_compliance", *argv],
                          env={**env, **env_extra}, cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=120)


def test_cli_refuses_a_bad_setting_with_exit_2_and_no_traceback(home):
    done = _cli({"ODLAB_HOME": str(home), "ODLAB_HTTP_TIMEOUT": "abc"}, "sources", "list")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "ODLAB_HTTP_TIMEOUT=« abc »" in done.stderr and "nombre de secondes" in done.stderr
    assert done.stdout == ""        # refused before the command ran


def test_cli_runs_with_good_settings(home):
    done = _cli({"ODLAB_HOME": str(home), "ODLAB_HTTP_TIMEOUT": "12"}, "sources", "list")
    assert done.returncode == 0 and "cog-communes" in done.stdout


def test_dashboard_shows_a_french_error_box(env, monkeypatch):
    monkeypatch.setenv("ODLAB_STALE_DAYS", "quarante")
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1
    text = at.error[0].value
    assert "ne peut pas démarrer" in text and "ODLAB_STALE_DAYS" in text and "jours" in text
    assert not at.title, "no page runs with a wrong setting"
