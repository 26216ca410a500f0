#!/usr/bin/env python3
"""Head validity on speakers the encoder never heard, through `proscore score`.

`proscore evaluate` folds heads by speaker, but the default encoder itself was trained on
speechocean762's training speakers (their audio and transcripts), so its transcripts and
posteriors are better on them than on a new learner's speech. This check takes the speakers
the encoder never trained on (tools/heldout_speakers.json, plus the distillation's validation
speakers when given), trains the heads with `proscore train` on everyone else's serving-path
features, scores the unseen speakers' recordings with `proscore score` (the product's path),
and prints Pearson, Spearman and RMSE against the experts, beside a trivial baseline on the same
speakers (energy-based speech duration and pauses): by ordinary least squares, and through the
heads' own feature basis (Sources/ProscoreScoring/FeatureBasis.swift: clipping to the 1st-99th
percentile, hinges at the 20/40/60/80th) with ridge and lambda by inner speaker folds, as
`proscore train` fits the heads.

  python3 tools/unseen_speakers_check.py FEATURES --model MODEL [--extra-speakers 0813,2061,...] [--head-speakers FILE]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "speechocean762"
TARGETS = ["accuracy", "fluency", "prosodic", "total"]
BASELINE = ["duration_s", "speech_s", "pauses", "mean_pause_s", "phonation_ratio", "pauses_per_minute"]


def ranks(x):
    """Average ranks (ties share their mean rank), for Spearman's correlation."""
    order = np.argsort(x, kind="mergesort")
    r = np.empty(len(x))
    r[order] = np.arange(len(x))
    for v in np.unique(x):
        tied = x == v
        r[tied] = r[tied].mean()
    return r


def stats(pred, gold):
    pred, gold = np.asarray(pred, float), np.asarray(gold, float)
    return {"pearson": round(float(np.corrcoef(pred, gold)[0, 1]), 3),
            "spearman": round(float(np.corrcoef(ranks(pred), ranks(gold))[0, 1]), 3),
            "rmse": round(float(np.sqrt(np.mean((pred - gold) ** 2))), 3), "count": len(gold)}


def basis_expand(x, fit_rows):
    """FeatureBasis.swift in numpy: clip to the fit rows' 1st-99th percentiles, then hinges
    max(0, x - k) at the clipped rows' 20/40/60/80th percentiles."""
    lo, hi = np.percentile(fit_rows, 1, axis=0), np.percentile(fit_rows, 99, axis=0)
    knots = np.percentile(np.clip(fit_rows, lo, hi), [20, 40, 60, 80], axis=0)
    c = np.clip(x, lo, hi)
    return np.concatenate([c] + [np.maximum(0, c - k) for k in knots], axis=1)


def ridge_basis_fit_predict(x_train, y_train, speakers, x_test, lambdas=tuple(round(10 ** (i / 2)) for i in range(11)), folds=5):
    """Ridge on the standardised basis of x (unpenalised intercept), lambda by speaker folds over
    half-decades from 1 to 1e5 (HeadTraining.lambdas)."""
    def fit(xa, ya, lam):
        za = basis_expand(xa, xa)
        mu, sd = za.mean(0), za.std(0)
        sd[sd < 1e-12] = 1e-12
        z = (za - mu) / sd
        w = np.linalg.solve(z.T @ z + lam * np.eye(z.shape[1]), z.T @ (ya - ya.mean()))
        return lambda xb: ((basis_expand(xb, xa) - mu) / sd) @ w + ya.mean()
    spk = sorted(set(speakers))
    fold_of = {s: i % folds for i, s in enumerate(spk)}
    f = np.array([fold_of[s] for s in speakers])
    def cv(lam):
        p = np.zeros_like(y_train)
        for k in range(folds):
            p[f == k] = fit(x_train[f != k], y_train[f != k], lam)(x_train[f == k])
        return np.corrcoef(p, y_train)[0, 1]
    best = max(lambdas, key=cv)
    return np.clip(fit(x_train, y_train, best)(x_test), 0, 10)


def speaker_bootstrap(speakers, pred, gold, other=None, rounds=2000, seed=762):
    """95% intervals of Pearson's r when the unseen *speakers* are drawn again (with
    replacement, each with all of their utterances): 20 speakers make a noisy sample, so a
    difference between two rows means little unless its interval excludes 0. With `other`
    (a second prediction of the same utterances), the interval of r(pred) - r(other), paired."""
    speakers, pred, gold = np.asarray(speakers), np.asarray(pred, float), np.asarray(gold, float)
    groups = [np.flatnonzero(speakers == s) for s in np.unique(speakers)]
    rng = np.random.default_rng(seed)
    rs, ds = [], []
    for _ in range(rounds):
        idx = np.concatenate([groups[i] for i in rng.integers(0, len(groups), len(groups))])
        r = np.corrcoef(pred[idx], gold[idx])[0, 1]
        rs.append(r)
        if other is not None:
            ds.append(r - np.corrcoef(np.asarray(other, float)[idx], gold[idx])[0, 1])
    out = {"pearson_95": [round(float(v), 3) for v in np.percentile(rs, [2.5, 97.5])]}
    if other is not None:
        out["minus_baseline_95"] = [round(float(v), 3) for v in np.percentile(ds, [2.5, 97.5])]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("features", help="folder written by `proscore extract --read-aloud` over speechocean762")
    ap.add_argument("--model", required=True, help="the encoder the features came from")
    ap.add_argument("--proscore", default=str(ROOT / ".build/release/proscore"))
    ap.add_argument("--extra-speakers", default="", help="comma-separated speakers also unseen by the encoder")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--fluency-only", action="store_true", help="heads on the named features alone (no encoder layers)")
    ap.add_argument("--head-speakers", help="train the heads (and the baselines) on these speakers only: a JSON file with "
                    "\"speakers\", such as tools/head_speakers.json for an encoder distilled with --reserve-head-speakers")
    args = ap.parse_args()

    unseen = set(json.loads((ROOT / "tools/heldout_speakers.json").read_text())["speakers"])
    unseen |= {s for s in args.extra_speakers.split(",") if s}
    rows = [json.loads(line) for line in open(Path(args.features) / "index.jsonl")]
    train = [r for r in rows if r["speaker"] not in unseen]
    if args.head_speakers:
        allowed = set(json.loads(Path(args.head_speakers).read_text())["speakers"])
        train = [r for r in train if r["speaker"] in allowed]
    test = [r for r in rows if r["speaker"] in unseen]
    work = Path(tempfile.mkdtemp(prefix="proscore-unseen-"))
    feats = work / "train-features"
    feats.mkdir()
    (feats / "features").symlink_to(Path(args.features).resolve() / "features")
    with open(feats / "index.jsonl", "w") as f:
        for r in train:
            f.write(json.dumps(r) + "\n")
    wav = dict(line.split() for line in open(CORPUS / "train/wav.scp"))
    manifest = work / "unseen.jsonl"
    with open(manifest, "w") as f:
        for r in test:
            f.write(json.dumps({"id": r["id"], "audio": str(CORPUS / "train" / wav[r["id"]]), "speaker": r["speaker"],
                                "text": r["text"]}) + "\n")
    result = {"encoder": args.model, "train_utterances": len(train), "unseen_utterances": len(test),
              "unseen_speakers": sorted({r["speaker"] for r in test})}
    gold = {r["id"]: r["labels"] for r in test}
    heads = {}
    for kind in ("read-aloud", "free"):
        head = work / f"{kind}.json"
        subprocess.run([args.proscore, "train", str(feats), "--kind", kind, "--encoder", args.model, "--out", str(head)]
                       + (["--fluency-only"] if args.fluency_only else []), check=True, capture_output=True, text=True)
        command = [args.proscore, "score", str(manifest), "--model", args.model, "--format", "jsonl", "--jobs", str(args.jobs)]
        command += ["--read-aloud", "--read-aloud-head", str(head)] if kind == "read-aloud" else ["--head", str(head)]
        out = subprocess.run(command, capture_output=True, text=True)
        if out.returncode != 0 and not out.stdout.strip():
            sys.exit(f"proscore score failed ({' '.join(command)}):\n{out.stderr.strip()}")
        scored = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
        scored = [s for s in scored if "scores" in s and s["id"] in gold]
        result[kind] = {t: stats([s["scores"][t] for s in scored], [gold[s["id"]][t] for s in scored]) for t in TARGETS}
        result[kind]["unscored"] = len(test) - len(scored)
        heads[kind] = {s["id"]: s["scores"] for s in scored}
    # The trivial baseline: least squares on the energy measures, fitted on the training speakers.
    def design(rs):
        return np.array([[1.0] + [float(r["baseline"].get(k, 0)) for k in BASELINE] for r in rs])
    xtr, xte = design(train), design(test)
    result["baseline: energy duration + pauses"] = {}
    baseline = {}
    for t in TARGETS:
        coef, *_ = np.linalg.lstsq(xtr, np.array([r["labels"][t] for r in train], float), rcond=None)
        baseline[t] = dict(zip([r["id"] for r in test], np.clip(xte @ coef, 0, 10)))
        result["baseline: energy duration + pauses"][t] = stats(list(baseline[t].values()), [r["labels"][t] for r in test])
    # The same measures through the heads' own basis: a head that bends gets a baseline that bends.
    result["baseline: same, through the heads' feature basis"] = {}
    basis_baseline = {}
    for t in TARGETS:
        pred = ridge_basis_fit_predict(xtr[:, 1:], np.array([r["labels"][t] for r in train], float),
                                       [r["speaker"] for r in train], xte[:, 1:])
        basis_baseline[t] = dict(zip([r["id"] for r in test], pred))
        result["baseline: same, through the heads' feature basis"][t] = stats(pred, [r["labels"][t] for r in test])
    # How much of each difference the choice of 20 speakers could explain.
    speaker_of = {r["id"]: r["speaker"] for r in test}
    for kind, scores in heads.items():
        ids = sorted(scores)
        result[kind]["speaker_bootstrap"] = {
            t: speaker_bootstrap([speaker_of[i] for i in ids], [scores[i][t] for i in ids], [gold[i][t] for i in ids],
                                 other=[baseline[t][i] for i in ids]) for t in TARGETS}
        result[kind]["speaker_bootstrap_against_basis_baseline"] = {
            t: speaker_bootstrap([speaker_of[i] for i in ids], [scores[i][t] for i in ids], [gold[i][t] for i in ids],
                                 other=[basis_baseline[t][i] for i in ids]) for t in TARGETS}
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    sys.exit(main())
