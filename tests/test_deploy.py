"""deploy/: the systemd units and the nginx site agree with each other and with the
project (commands that parse, the app file, port and path), and systemd accepts them."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest

from odlab_compliance.cli import build_parser
from odlab_compliance.config import PROJECT_ROOT
from tests.conftest import require_tool

DEPLOY = PROJECT_ROOT / "deploy"


def unit(name: str) -> dict[str, dict[str, list[str]]]:
    """A unit file as {section: {key: [values]}} (keys may repeat, e.g. Environment)."""
    out: dict[str, dict[str, list[str]]] = {}
    section = None
    for line in (DEPLOY / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            out[section] = {}
            continue
        key, _, value = line.partition("=")
        out[section].setdefault(key.strip(), []).append(value.strip())
    return out


def env(u: dict) -> dict[str, str]:
    return dict(v.split("=", 1) for v in u["Service"].get("Environment", []))


def command(u: dict) -> list[str]:
    return shlex.split(u["Service"]["ExecStart"][0])


def test_the_refresh_service_runs_a_real_command_on_a_timer():
    service, timer = unit("odlab-refresh.service"), unit("odlab-refresh.timer")
    argv = command(service)
    assert argv[1:3] == ["-m", "odlab_compliance"]
    args = build_parser().parse_args(argv[3:])       # the command and its options exist
    assert args.command == "refresh" and args.digest_jour == "lundi"
    assert service["Service"]["Type"] == ["oneshot"]
    assert timer["Timer"]["Unit"] == ["odlab-refresh.service"]
    assert timer["Timer"]["Persistent"] == ["true"]
    assert timer["Install"]["WantedBy"] == ["timers.target"]


def test_the_dashboard_service_and_the_nginx_site_agree():
    dash, refresh = unit("odlab-dashboard.service"), unit("odlab-refresh.service")
    argv = command(dash)
    assert argv[1:5] == ["-m", "streamlit", "run", "app.py"]
    assert (PROJECT_ROOT / "app.py").is_file()
    opts = dict(zip(argv[5::2], argv[6::2], strict=True))
    port, base = opts["--server.port"], opts["--server.baseUrlPath"]
    assert opts["--server.address"] == "127.0.0.1"     # only nginx reaches it
    # both services read and write the same data, the only writable path
    assert env(dash)["ODLAB_HOME"] == env(refresh)["ODLAB_HOME"]
    assert dash["Service"]["WorkingDirectory"] == refresh["Service"]["WorkingDirectory"]
    assert dash["Service"]["ReadWritePaths"] == [env(dash)["ODLAB_HOME"]]
    assert "ODLAB_LOCAL_WRITE" not in env(dash)         # editors sign in behind a proxy
    site = (DEPLOY / "odlab-nginx.conf").read_text(encoding="utf-8")
    assert site.count("{") == site.count("}")
    assert f"location /{base}/ {{" in site
    assert f"proxy_pass http://127.0.0.1:{port}/{base}/;" in site
    assert 'proxy_set_header Upgrade $http_upgrade;' in site     # Streamlit's WebSocket
    assert 'proxy_set_header Connection "upgrade";' in site
    assert re.search(r"client_max_body_size\s+\d+m;", site)


def test_systemd_accepts_the_units(tmp_path: Path):
    require_tool("systemd-analyze")
    python = subprocess.run(["which", "python3"], capture_output=True, text=True).stdout.strip()
    for name in ("odlab-dashboard.service", "odlab-refresh.service", "odlab-refresh.timer"):
        text = (DEPLOY / name).read_text(encoding="utf-8")
        # The units name /srv/odlab; systemd checks that ExecStart exists: point it here.
        text = text.replace("/srv/odlab/app/.venv/bin/python", python)
        (tmp_path / name).write_text(text, encoding="utf-8")
    for name in ("odlab-dashboard.service", "odlab-refresh.timer"):
        done = subprocess.run(["systemd-analyze", "verify", str(tmp_path / name)],
                              capture_output=True, text=True)
        problems = [line for line in (done.stdout + done.stderr).splitlines()
                    if str(tmp_path) in line]
        assert done.returncode == 0 and not problems, problems
    on_calendar = unit("odlab-refresh.timer")["Timer"]["OnCalendar"][0]
    assert subprocess.run(["systemd-analyze", "calendar", on_calendar],
                          capture_output=True).returncode == 0


@pytest.mark.parametrize("name", ["odlab-dashboard.service", "odlab-refresh.service"])
def test_units_never_hold_secrets(name):
    text = (DEPLOY / name).read_text(encoding="utf-8").lower()
    assert "password" not in text and "mot_de_passe" not in text
