#!/usr/bin/env python3
"""Scores under other recording conditions, through `proscore score` (the product's path).

Takes N speechocean762 read-aloud recordings (a fixed sample), makes copies played quieter
(-15 and -25 dB), with white noise added (20 and 10 dB SNR against the louder half of the
speech frames) and as an 8 kHz recording (the telephone band), scores every version with `proscore score --read-aloud`, and prints for each
condition how many were scored and the mean change of each score against the recordings as
they are. A scorer whose numbers follow the microphone's gain or the room's noise is not
scoring the speaker.

  python3 tools/recording_conditions_check.py [--count 100] [--proscore .build/release/proscore]
"""
import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "speechocean762" / "train"
TARGETS = ["accuracy", "fluency", "prosodic", "total"]


def speech_power(audio: np.ndarray) -> float:
    """Mean power of the louder half of the 20 ms frames: the speech, not the pauses."""
    frames = audio[: len(audio) // 320 * 320].reshape(-1, 320)
    return float(np.mean(np.sort((frames ** 2).mean(1))[len(frames) // 2:]))


def quieter(audio: np.ndarray, db: float) -> np.ndarray:
    return (audio * 10 ** (-db / 20)).astype(np.float32)


def with_noise(audio: np.ndarray, snr_db: float, rng) -> np.ndarray:
    """White noise `snr_db` under the speech power, clipped to full scale."""
    noise = rng.normal(size=len(audio)).astype(np.float32)
    noise *= np.sqrt(speech_power(audio) / 10 ** (snr_db / 10)) / noise.std()
    return np.clip(audio + noise, -1, 1).astype(np.float32)


def telephone_band(audio: np.ndarray) -> np.ndarray:
    """16 kHz audio as an 8 kHz recording (a telephone, an old headset): a windowed-sinc
    low-pass at 3.8 kHz, then every other sample. Proscore resamples it back to 16 kHz."""
    taps = np.arange(-64, 65)
    cutoff = 3800 / 16000
    kernel = 2 * cutoff * np.sinc(2 * cutoff * taps) * np.hamming(len(taps))
    return np.convolve(audio, kernel / kernel.sum(), mode="same")[::2].astype(np.float32)


def conditions(audio: np.ndarray, rate: int, rng) -> dict:
    """Each condition's name, with its audio and sample rate."""
    out = {"as recorded": (audio, rate)}
    for db in (15, 25):
        out[f"{db} dB quieter"] = (quieter(audio, db), rate)
    for snr in (20, 10):
        out[f"noise at {snr} dB SNR"] = (with_noise(audio, snr, rng), rate)
    if rate == 16000:
        out["8 kHz telephone band"] = (telephone_band(audio), 8000)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--proscore", default=str(ROOT / ".build/release/proscore"))
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--preset", help="passed to `proscore score` (default: its own, configs/balanced.json)")
    args = ap.parse_args()
    if not (CORPUS / "wav.scp").exists():
        sys.exit(f"{CORPUS}: speechocean762 is not there")
    wav = dict(line.split() for line in open(CORPUS / "wav.scp"))
    text = dict(line.strip().split(maxsplit=1) for line in open(CORPUS / "text") if len(line.split()) > 1)
    ids = sorted(u for u in wav if u in text)
    random.Random(1).shuffle(ids)
    ids = ids[: args.count]
    rng = np.random.default_rng(0)
    work = Path(tempfile.mkdtemp(prefix="proscore-conditions-"))
    manifests = {}
    for uid in ids:
        audio, rate = sf.read(CORPUS / wav[uid], dtype="float32")
        for name, (version, version_rate) in conditions(audio, rate, rng).items():
            path = work / f"{uid}-{name.replace(' ', '_')}.wav"
            sf.write(path, version, version_rate, subtype="PCM_16")
            manifests.setdefault(name, []).append({"id": uid, "audio": str(path), "text": text[uid]})
    scores = {}
    for name, entries in manifests.items():
        manifest = work / f"{name.replace(' ', '_')}.jsonl"
        manifest.write_text("".join(json.dumps(e) + "\n" for e in entries))
        out = subprocess.run([args.proscore, "score", str(manifest), "--read-aloud", "--format", "jsonl", "--jobs", str(args.jobs)]
                             + (["--preset", args.preset] if args.preset else []),
                             capture_output=True, text=True)
        if out.returncode not in (0, 2):  # 2: some files failed, the rest are scored
            sys.exit(f"proscore score failed on {name}:\n{out.stderr.strip()[-2000:]}")
        rows = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
        scores[name] = {r["id"]: r["scores"] for r in rows if r.get("scores")}
    base = scores["as recorded"]
    print(f"{len(ids)} speechocean762 recordings through `proscore score --read-aloud`; mean change against as recorded")
    print(f"{'condition':22s} {'scored':>7s} " + " ".join(f"{t:>9s}" for t in TARGETS))
    for name, got in scores.items():
        both = [u for u in got if u in base]
        changes = [np.mean([got[u][t] - base[u][t] for u in both]) if both else float("nan") for t in TARGETS]
        print(f"{name:22s} {len(got):4d}/{len(ids):<3d}" + " ".join(f"{c:+9.2f}" for c in changes))


if __name__ == "__main__":
    main()
