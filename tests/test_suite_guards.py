"""The suite never goes green by skipping: a wrong mirror stops it, CI (ODLAB_CI=1) fails on
a missing prerequisite or any skip, and a laptop's skips are counted with their reason.

Each case runs pytest in a child process with the project's conftest, on a tiny test file,
so that the exit code and the closing summary are the ones a developer or CI sees."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from odlab_compliance.config import PROJECT_ROOT

TINY = '''
import pytest

def test_reads_the_mirror(mirror_dir):
    assert mirror_dir.is_dir()

def test_plain():
    assert True
'''
WITH_SKIP = TINY + '''
@pytest.mark.skip(reason="motif de test")
def test_skipped():
    pass
'''


def run_pytest(tmp_path: Path, source: str, **env: str) -> subprocess.CompletedProcess:
    test_file = tmp_path / "test_tiny.py"
    test_file.write_text(source, encoding="utf-8")
    base = {k: v for k, v in os.environ.items() if not k.startswith("ODLAB_")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.conftest",
         "--rootdir", str(tmp_path), str(test_file)],
        cwd=PROJECT_ROOT, env={**base, "ODLAB_HOME": str(tmp_path / "home"), **env},
        capture_output=True, text=True, timeout=120)


def test_laptop_without_mirror_skips_and_says_why(tmp_path):
    done = run_pytest(tmp_path, TINY)
    assert done.returncode == 0, done.stdout
    assert "1 test(s) ignoré(s)" in done.stdout
    assert "1 × ODLAB_MIRROR_DIR n'est pas défini" in done.stdout


def test_wrong_mirror_stops_the_run(tmp_path):
    done = run_pytest(tmp_path, TINY, ODLAB_MIRROR_DIR=str(tmp_path / "pas-ici"))
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert "Tests impossibles" in done.stdout + done.stderr
    assert "ce dossier n'existe pas" in done.stdout + done.stderr
    assert " passed" not in done.stdout


def test_mirror_not_organised_like_shared_data_stops_the_run(tmp_path):
    (tmp_path / "vide").mkdir()
    done = run_pytest(tmp_path, TINY, ODLAB_MIRROR_DIR=str(tmp_path / "vide"))
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert "n'est pas organisé comme shared/data" in done.stdout + done.stderr
    assert "cog-2022/communes.json" in done.stdout + done.stderr


def test_ci_without_mirror_fails(tmp_path):
    done = run_pytest(tmp_path, TINY, ODLAB_CI="1")
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert "ODLAB_MIRROR_DIR n'est pas défini" in done.stdout + done.stderr


def test_ci_without_browser_fails(tmp_path, mirror_dir):
    # playwright hidden: a module path that shadows it with an import error
    fake = tmp_path / "shadow" / "playwright"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('cassé')\n")
    done = run_pytest(tmp_path, TINY, ODLAB_CI="1", ODLAB_MIRROR_DIR=str(mirror_dir),
                      PYTHONPATH=f"{tmp_path / 'shadow'}{os.pathsep}{PROJECT_ROOT}")
    text = done.stdout + done.stderr
    assert done.returncode != 0
    assert "playwright" in text and "Tests impossibles" in text


def test_ci_fails_on_any_skip(tmp_path, mirror_dir):
    done = run_pytest(tmp_path, WITH_SKIP, ODLAB_CI="1", ODLAB_MIRROR_DIR=str(mirror_dir))
    assert done.returncode == pytest.ExitCode.TESTS_FAILED, done.stdout
    assert "1 × motif de test" in done.stdout
    assert "un test ignoré fait échouer la suite" in done.stdout


def test_ci_with_everything_passes(tmp_path, mirror_dir):
    done = run_pytest(tmp_path, TINY, ODLAB_CI="1", ODLAB_MIRROR_DIR=str(mirror_dir))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout and "ignoré" not in done.stdout
