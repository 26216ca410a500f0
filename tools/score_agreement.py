#!/usr/bin/env python3
"""Compare `proscore score --format jsonl` outputs: transcripts against the references
(CER/WER, upper case, punctuation dropped, numbers spelled out as speechocean762 spells
them), and, given two runs (say fp32 and int8), how far their transcripts and scores differ.

Tools-only (standard library). Usage:
  proscore score MANIFEST --read-aloud --format jsonl --out a.jsonl                 # fp32
  proscore score MANIFEST --read-aloud --format jsonl --out b.jsonl --precision int8
  python3 tools/score_agreement.py --manifest ../shared/speechocean762 a.jsonl [b.jsonl] [--speakers tools/heldout_speakers.json]
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from distill.frontend import spell_numbers  # noqa: E402

SCORES = ("accuracy", "fluency", "prosodic", "total")


def normalise(text: str) -> str:
    text = spell_numbers(text.upper())
    text = re.sub(r"[^A-Z' ]+", " ", text)
    return " ".join(text.split())


def edit_distance(a, b) -> int:
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a):
        current = [i + 1] + [0] * len(b)
        for j, y in enumerate(b):
            current[j + 1] = min(previous[j] + (x != y), previous[j + 1] + 1, current[j] + 1)
        previous = current
    return previous[-1]


def error_rates(pairs) -> tuple[float, float]:
    """(CER, WER) over (hypothesis, reference) pairs, summed over the corpus."""
    chars = char_errors = words = word_errors = 0
    for hyp, ref in pairs:
        h, r = normalise(hyp), normalise(ref)
        char_errors += edit_distance(h, r)
        chars += len(r)
        word_errors += edit_distance(h.split(), r.split())
        words += len(r.split())
    return char_errors / max(1, chars), word_errors / max(1, words)


def load_rows(path: Path) -> dict:
    rows = {}
    for line in path.read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            rows[row["id"]] = row
    return rows


def load_references(manifest: Path) -> tuple[dict, dict]:
    """id -> text and id -> speaker, from a speechocean762 folder or a JSON-lines manifest."""
    if manifest.is_dir():
        folder = manifest / "train" if (manifest / "train" / "text").exists() else manifest
        def table(name):
            out = {}
            for line in (folder / name).read_text().splitlines():
                parts = line.split(maxsplit=1)
                if len(parts) == 2:
                    out[parts[0]] = parts[1]
            return out
        return table("text"), table("utt2spk")
    texts, speakers = {}, {}
    for line in manifest.read_text().splitlines():
        if line.strip():
            e = json.loads(line)
            texts[e["id"]] = e.get("text", "")
            speakers[e["id"]] = e.get("speaker", "")
    return texts, speakers


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", type=Path, nargs="+", help="one or two `score --format jsonl` outputs")
    ap.add_argument("--manifest", type=Path, required=True, help="speechocean762 folder or JSON-lines manifest")
    ap.add_argument("--speakers", type=Path, help="JSON with 'children' and 'adults' lists: keep only these speakers")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    texts, speakers = load_references(args.manifest)
    keep = None
    if args.speakers:
        held = json.loads(args.speakers.read_text())
        keep = set(held.get("children", [])) | set(held.get("adults", []))
    runs = [load_rows(p) for p in args.runs]
    ids = sorted(i for i in runs[0] if all(i in r for r in runs) and i in texts and (keep is None or speakers.get(i) in keep))
    result = {"utterances": len(ids), "runs": []}
    for path, rows in zip(args.runs, runs):
        cer, wer = error_rates((rows[i].get("transcript", ""), texts[i]) for i in ids)
        result["runs"].append({"file": str(path), "cer": cer, "wer": wer})
    if len(runs) == 2:
        a, b = runs
        diffs = {s: [abs(a[i]["scores"][s] - b[i]["scores"][s]) for i in ids
                     if s in a[i].get("scores", {}) and s in b[i].get("scores", {})] for s in SCORES}
        result["cer_difference_points"] = 100 * (result["runs"][1]["cer"] - result["runs"][0]["cer"])
        result["transcripts_identical"] = sum(a[i].get("transcript") == b[i].get("transcript") for i in ids)
        result["score_difference"] = {s: {"mean": sum(d) / max(1, len(d)), "max": max(d, default=0.0), "n": len(d)}
                                      for s, d in diffs.items()}
    if args.json:
        print(json.dumps(result, indent=1, sort_keys=True))
        return 0
    print(f"{len(ids)} utterances")
    for r in result["runs"]:
        print(f"{r['file']}: CER {100 * r['cer']:.1f}%  WER {100 * r['wer']:.1f}%")
    if len(runs) == 2:
        print(f"CER difference {result['cer_difference_points']:+.2f} points; "
              f"{result['transcripts_identical']} of {len(ids)} transcripts identical")
        for s, d in result["score_difference"].items():
            print(f"  {s:9s} |difference| mean {d['mean']:.3f}, max {d['max']:.3f} (n={d['n']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
