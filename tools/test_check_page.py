"""The page of `proscore serve` in real headless Chromium (tools/check_page.py); skipped
where Chromium, chromium-driver, selenium or the built proscore are missing."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def built_proscore_and_chromium() -> Path:
    """The debug proscore, or a skip naming what is missing."""
    pytest.importorskip("selenium")
    if not (shutil.which("chromium") and Path("/usr/bin/chromedriver").exists()):
        pytest.skip("needs Debian's chromium and chromium-driver")
    proscore = ROOT / ".build/debug/proscore"
    if not proscore.exists():
        pytest.skip("needs the built proscore (swift build)")
    return proscore


def test_page_shows_scores_and_transcript_in_chromium(tmp_path):
    proscore = built_proscore_and_chromium()
    result = subprocess.run([sys.executable, str(ROOT / "tools/check_page.py"), "--proscore", str(proscore),
                             "--screenshot", str(tmp_path / "page.png")], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "page.png").stat().st_size > 10_000


def test_page_works_with_a_token_in_chromium(tmp_path):
    """A server started with --token-file: the page loads, takes the token, streams with it
    as a WebSocket subprotocol and lists the session through the API with the header."""
    proscore = built_proscore_and_chromium()
    result = subprocess.run([sys.executable, str(ROOT / "tools/check_page.py"), "--proscore", str(proscore), "--token"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_page_says_when_the_server_stops_mid_stream(tmp_path):
    """SIGTERM to the server while the page streams: the page must say the stream ended
    (it used to stay on "Listening…")."""
    proscore = built_proscore_and_chromium()
    result = subprocess.run([sys.executable, str(ROOT / "tools/check_page.py"), "--proscore", str(proscore), "--interrupt"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
