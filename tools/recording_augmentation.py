#!/usr/bin/env python3
"""A speechocean762 manifest with quieter and noisier copies, for heads that must not follow
the microphone.

A head that reads the encoder's layers learns the level and the noise of the corpus it is fitted
on: with do_normalize off (streaming cannot normalise a whole utterance) the layers' means move
with the microphone's gain, and so do such a head's scores. This writes a JSON-lines manifest of
every recording as it is, plus, for the chosen speakers, one copy played quieter (10-25 dB) and
one with white noise (10-25 dB SNR against the speech), labelled as the original. Extract and
fit on it with the product's own commands:

  python3 tools/recording_augmentation.py --speakers tools/head_speakers.json --out AUG
  python3 tools/recording_augmentation.py --speakers tools/unheard_speakers.json --only-chosen --out AUG   # the default heads' rows
  proscore extract AUG/manifest.jsonl --read-aloud --model MODEL --out F
  proscore train F --kind read-aloud --out HEAD.json     # or tools/unseen_speakers_check.py F ...

Copies keep their speaker, so folds by speaker keep them with their original. Seeded: the same
command writes the same copies.
"""
import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

from recording_conditions_check import quieter, with_noise

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "speechocean762" / "train"
LABELS = ["accuracy", "completeness", "fluency", "prosodic", "total"]


def copies(audio: np.ndarray, rng) -> dict:
    """The augmented versions of one recording, by id suffix."""
    return {"q": quieter(audio, rng.uniform(10, 25)), "n": with_noise(audio, rng.uniform(10, 25), rng)}


def corpus_rows(corpus: Path) -> list:
    """speechocean762's utterances with speaker, text and expert scores (as `proscore extract` reads them)."""
    wav = dict(line.split() for line in open(corpus / "wav.scp"))
    speaker = dict(line.split() for line in open(corpus / "utt2spk"))
    text = dict(line.strip().split(maxsplit=1) for line in open(corpus / "text") if len(line.split()) > 1)
    scores = {r["utt_id"]: r for r in csv.DictReader(open(corpus / "scores.csv"))}
    return [{"id": u, "audio": str(corpus / wav[u]), "speaker": speaker[u], "text": text[u],
             "labels": {k: float(scores[u][k]) for k in LABELS if scores.get(u, {}).get(k)}}
            for u in sorted(wav) if u in text and u in speaker]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default=str(CORPUS), help="speechocean762's train folder")
    ap.add_argument("--speakers", help='JSON file with "speakers" whose recordings get copies (default: every speaker)')
    ap.add_argument("--only-chosen", action="store_true",
                    help="leave the other speakers' recordings out of the manifest (heads fitted on --speakers alone)")
    ap.add_argument("--out", required=True, help="new folder: manifest.jsonl and the copies")
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args(argv)
    corpus, out = Path(args.corpus), Path(args.out)
    if not (corpus / "wav.scp").exists():
        sys.exit(f"{corpus}: not a speechocean762 folder (wav.scp, utt2spk, text, scores.csv)")
    if out.exists():
        sys.exit(f"{out} exists; give a new folder")
    chosen = set(json.loads(Path(args.speakers).read_text())["speakers"]) if args.speakers else None
    if args.only_chosen and chosen is None:
        sys.exit("--only-chosen needs --speakers")
    rows = corpus_rows(corpus)
    if args.only_chosen:
        rows = [row for row in rows if row["speaker"] in chosen]
    (out / "copies").mkdir(parents=True)
    rng = np.random.default_rng(args.seed)
    made = 0
    with open(out / "manifest.jsonl", "w") as manifest:
        for row in rows:
            manifest.write(json.dumps(row) + "\n")
            if chosen is not None and row["speaker"] not in chosen:
                continue
            audio, rate = sf.read(row["audio"], dtype="float32")
            for suffix, version in copies(audio, rng).items():
                path = out / "copies" / f"{row['id']}{suffix}.wav"
                sf.write(path, version, rate, subtype="PCM_16")
                manifest.write(json.dumps({**row, "id": row["id"] + suffix, "audio": str(path)}) + "\n")
                made += 1
    print(f"{out / 'manifest.jsonl'}: {len(rows)} recordings and {made} copies")


if __name__ == "__main__":
    sys.exit(main())
