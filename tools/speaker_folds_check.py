#!/usr/bin/env python3
"""Cross-validation by speaker through the product's path: `proscore train` then `proscore score`.

`proscore evaluate` folds the heads by speaker over stored features. This check runs the whole
procedure a head ships with instead: for each fold it fits the heads with `proscore train` on
the other folds' rows of a feature folder (quieter and noisier copies included, when the folder
has them: `tools/recording_augmentation.py`), scores the fold's *original* recordings with
`proscore score`, and pools the scores. Both models of a comparison get the same folds (speakers
sorted, speaker i in fold i mod FOLDS). Pearson per score, for the speakers together and for
those of --group alone and the rest; Spearman and RMSE for the speakers together.

  python3 tools/speaker_folds_check.py FEATURES --model MODEL [--fluency-only | --layer-pooling concatenated]
      [--group tools/head_speakers.json] [--preset PRESET (the one FEATURES were extracted with)]
      [--always-train MORE_FEATURES (rows that join every fold's training and are never scored)]

FEATURES: a folder written by `proscore extract --read-aloud` over speechocean762 (or its
augmentation manifest); copies are rows whose id is not the corpus's (digits only).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from unseen_speakers_check import stats

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "speechocean762" / "train"
TARGETS = ["accuracy", "fluency", "prosodic", "total"]


def is_original(row):
    """speechocean762 ids are digits; tools/recording_augmentation.py's copies add a letter."""
    return row["id"].isdigit()


def folds_by_speaker(rows, count):
    """Speaker → fold: speakers sorted, the i-th in fold i mod count (the same for every model)."""
    speakers = sorted({r["speaker"] for r in rows})
    if len(speakers) < count:
        sys.exit(f"{len(speakers)} speakers cannot make {count} folds")
    return {s: i % count for i, s in enumerate(speakers)}


def always_trained(features, more_folder, rows):
    """The rows of `more_folder`, which must be extracted as `features` was and hold none of its speakers."""
    mine, theirs = (json.loads((f / "extraction.json").read_text()) for f in (features, more_folder))
    if mine != theirs:
        sys.exit(f"{more_folder} was extracted with other settings than {features}: {theirs} against {mine}")
    more = [json.loads(line) for line in open(more_folder / "index.jsonl")]
    shared = {r["speaker"] for r in rows} & {r["speaker"] for r in more}
    if shared:
        sys.exit(f"{more_folder} shares speakers with {features} ({', '.join(sorted(shared)[:5])}): its rows would be scored and trained on")
    return more


def training_folder(train, features, rows, fold, k, more_folder=None, more=()):
    """A feature folder at `train` for fold `k`'s heads: the other folds' rows, and every row of `more`."""
    train.mkdir()
    if more_folder is None:
        (train / "features").symlink_to((features / "features").resolve())
    else:
        (train / "features").mkdir()
        for folder, some in ((features, rows), (more_folder, more)):
            for r in some:
                if "file" in r:
                    (train / r["file"]).symlink_to((folder / r["file"]).resolve())
    (train / "extraction.json").write_text((features / "extraction.json").read_text())
    with open(train / "index.jsonl", "w") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows if fold[r["speaker"]] != k)
        f.writelines(json.dumps(r) + "\n" for r in more)


def pearson(pred, gold):
    return round(float(np.corrcoef(np.asarray(pred, float), np.asarray(gold, float))[0, 1]), 3)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("features", help="folder written by `proscore extract --read-aloud`")
    ap.add_argument("--model", required=True, help="the encoder the features came from")
    ap.add_argument("--proscore", default=str(ROOT / ".build/release/proscore"))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--fluency-only", action="store_true", help="heads on the named features alone")
    ap.add_argument("--layer-pooling", choices=["weighted-mix", "concatenated"], help="passed to `proscore train` (default: its own)")
    ap.add_argument("--group", help='JSON file with "speakers": also report them alone, and the rest alone')
    ap.add_argument("--preset", help="passed to `proscore score`: the preset the features were extracted with (default: score's own)")
    ap.add_argument("--always-train", help="another feature folder, extracted alike, whose rows (other speakers: say, those the "
                    "encoder heard) join every fold's training and are never scored")
    args = ap.parse_args(argv)
    features = Path(args.features)
    rows = [json.loads(line) for line in open(features / "index.jsonl")]
    more_folder = Path(args.always_train) if args.always_train else None
    more = always_trained(features, more_folder, rows) if more_folder else []
    fold = folds_by_speaker(rows, args.folds)
    wav = dict(line.split() for line in open(CORPUS / "wav.scp"))
    gold = {r["id"]: r["labels"] for r in rows if is_original(r)}
    speaker = {r["id"]: r["speaker"] for r in rows}
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    work = Path(tempfile.mkdtemp(prefix="proscore-folds-"))
    scores = {"read-aloud": {}, "free": {}}
    for k in range(args.folds):
        train = work / f"train-{k}"
        training_folder(train, features, rows, fold, k, more_folder, more)
        manifest = work / f"fold-{k}.jsonl"
        with open(manifest, "w") as f:
            f.writelines(json.dumps({"id": r["id"], "audio": str(CORPUS / wav[r["id"]]), "speaker": r["speaker"], "text": r["text"]}) + "\n"
                         for r in rows if fold[r["speaker"]] == k and is_original(r))
        for kind in scores:
            head = work / f"{kind}-{k}.json"
            subprocess.run([args.proscore, "train", str(train), "--kind", kind, "--encoder", args.model, "--out", str(head)]
                           + (["--fluency-only"] if args.fluency_only else [])
                           + (["--layer-pooling", args.layer_pooling] if args.layer_pooling else []), check=True, capture_output=True, env=env)
            command = [args.proscore, "score", str(manifest), "--model", args.model, "--format", "jsonl", "--jobs", str(args.jobs)]
            command += ["--read-aloud", "--read-aloud-head", str(head)] if kind == "read-aloud" else ["--head", str(head)]
            command += ["--preset", args.preset] if args.preset else []
            out = subprocess.run(command, capture_output=True, text=True, env=env)
            if out.returncode != 0 and not out.stdout.strip():
                sys.exit(f"proscore score failed ({' '.join(command)}):\n{out.stderr.strip()}")
            for line in out.stdout.splitlines():
                if line.startswith("{") and "scores" in (s := json.loads(line)) and s["id"] in gold:
                    scores[kind][s["id"]] = s["scores"]
        print(f"fold {k + 1}/{args.folds} scored", file=sys.stderr)
    group = set(json.loads(Path(args.group).read_text())["speakers"]) if args.group else None
    subsets = {"all": lambda s: True}
    if group:
        subsets.update({"group": lambda s: s in group, "rest": lambda s: s not in group})
    result = {"encoder": args.model, "folds": args.folds, "speakers": len(fold), "fluency_only": args.fluency_only,
              "layer_pooling": args.layer_pooling or "proscore train's default",
              "always_trained": f"{len(more)} rows of {len({r['speaker'] for r in more})} speakers from {more_folder}" if more else None,
              "preset": json.loads((features / "extraction.json").read_text()).get("preset")}
    for kind, by_id in scores.items():
        for name, keep in subsets.items():
            ids = [i for i in by_id if keep(speaker[i])]
            result[f"{kind} {name}"] = {t: pearson([by_id[i][t] for i in ids], [gold[i][t] for i in ids]) for t in TARGETS}
            result[f"{kind} {name}"]["utterances"] = len(ids)
            result[f"{kind} {name}"]["unscored"] = sum(1 for i in gold if keep(speaker[i])) - len(ids)
            if name == "all":
                both = {t: stats([by_id[i][t] for i in ids], [gold[i][t] for i in ids]) for t in TARGETS}
                for measure in ("spearman", "rmse"):
                    result[f"{kind} {name}"][measure] = {t: both[t][measure] for t in TARGETS}
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
