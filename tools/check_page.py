#!/usr/bin/env python3
"""Headless Chromium check of `proscore serve`'s page.

Starts `proscore serve` on a free loopback port, opens its page in Debian's headless
Chromium (driven by chromium-driver through selenium) with a recording as the fake
microphone (Chromium's fake media-stream flags), presses Start, and waits until 0–10
scores and a transcript appear (each word once: the utterance being spoken is not shown
twice); then presses Stop and waits for the summary, listed under the learner's name typed. With --token it first types a wrong
token, which the page must name; with --interrupt it stops the server mid-stream instead,
which the page must say. Saves a screenshot. Exit status 0 when everything appeared.

    python3 tools/check_page.py --screenshot docs/serve-page.png

Needs `apt-get install chromium chromium-driver` and `pip install selenium`; the built
`proscore` (default .build/debug/proscore).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start_server(proscore, model, store, token_file=None):
    command = [proscore, "serve", "--port", "0", "--store", store]
    if model:
        command += ["--model", model]
    if token_file:
        command += ["--token-file", token_file]
    server = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        line = server.stderr.readline()
        if not line:
            break
        match = re.search(r"listening on (http://\S+)", line)
        if match:
            return server, match.group(1)
    server.kill()
    raise SystemExit("proscore serve did not start")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--proscore", default=str(ROOT / ".build/debug/proscore"))
    parser.add_argument("--model", help="CTC checkpoint (default: the preset's)")
    parser.add_argument("--audio", default=str(ROOT / "recordings/anna-morning.flac"))
    parser.add_argument("--reference", default="")
    parser.add_argument("--screenshot", help="PNG to write")
    parser.add_argument("--token", action="store_true",
                        help="start the server with --token-file and type the token into the page")
    parser.add_argument("--interrupt", action="store_true",
                        help="stop the server (SIGTERM) while the page streams; the page must say the stream ended")
    parser.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args()

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    work = tempfile.mkdtemp(prefix="proscore-page-")
    wav = os.path.join(work, "microphone.wav")
    # Chromium's fake capture reads 16-bit WAV: convert with proscore itself.
    subprocess.run([args.proscore, "record", "--file", args.audio, "--speed", "max", "--out", wav],
                   cwd=ROOT, check=True, capture_output=True)
    token_file, token = None, None
    if args.token:
        token = "page-check-" + os.urandom(12).hex()
        token_file = os.path.join(work, "token.txt")
        Path(token_file).write_text(token + "\n")
    server, url = start_server(args.proscore, args.model, os.path.join(work, "sessions.sqlite"), token_file)
    options = webdriver.ChromeOptions()
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1000,1250",
                 "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                 f"--use-file-for-fake-audio-capture={wav}%noloop", "--autoplay-policy=no-user-gesture-required"]:
        options.add_argument(flag)
    options.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    failures = []
    try:
        driver.get(url + "/")
        wait = WebDriverWait(driver, args.timeout, poll_frequency=0.25)

        def text(element_id):
            return driver.find_element(By.ID, element_id).text.strip()

        def type_token(value):
            field = driver.find_element(By.ID, "token")
            field.clear()
            field.send_keys(value)
            driver.execute_script("arguments[0].dispatchEvent(new Event('change'))", field)

        if token:
            type_token("wrong-" + token)
            driver.find_element(By.ID, "start").click()
            try:
                wait.until(lambda d: "refused this access token" in text("status"))
            except Exception:
                failures.append(f"a wrong token was not named (status: {text('status')!r})")
            type_token(token)
        if args.reference:
            driver.find_element(By.ID, "reference").send_keys(args.reference)
        driver.find_element(By.ID, "learner").send_keys("Page Check")
        driver.find_element(By.ID, "start").click()

        try:
            wait.until(lambda d: re.fullmatch(r"\d+\.\d", text("value-total") or text("value-fluency") or ""))
        except Exception:
            failures.append(f"no scores appeared (unscored: {text('unscored')!r}, status: {text('status')!r})")
        try:
            wait.until(lambda d: text("final") or text("partial"))
        except Exception:
            failures.append("no transcript appeared")
        time.sleep(2)
        live = {name: text("value-" + name) for name in ["accuracy", "fluency", "prosodic", "total"]}
        heard = (text("final") + " " + text("partial")).split()
        print("live scores:", live, "| transcript:", repr(" ".join(heard)), "| pauses:", text("pauses"))
        if args.interrupt:
            server.terminate()
            try:
                wait.until(lambda d: "ended the stream" in text("status") or text("status").startswith("Closed"))
            except Exception:
                failures.append(f"the page did not say the server ended the stream (status: {text('status')!r})")
            print("status:", text("status"))
            return report(failures)
        driver.find_element(By.ID, "stop").click()
        try:
            wait.until(lambda d: text("status").startswith("Session "))
        except Exception:
            failures.append(f"no summary after stop (status: {text('status')!r})")
        summary_words = re.search(r"(\d+) words", text("status"))
        # Live, each word appears once: no more words than the whole session's, give or take the forming one.
        if summary_words and len(heard) > int(summary_words.group(1)) + 2:
            failures.append(f"the live transcript had {len(heard)} words, the session {summary_words.group(1)}: words shown twice?")
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#sessions a"))
        if "Page Check" not in text("sessions"):
            failures.append(f"the session is not listed under the learner's name: {text('sessions')!r}")
        print("status:", text("status"))
        if args.screenshot:
            driver.save_screenshot(args.screenshot)
            print("screenshot:", args.screenshot)
    finally:
        driver.quit()
        server.terminate()
        server.wait(timeout=30)
    return report(failures)


def report(failures):
    for failure in failures:
        print("FAIL:", failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
