#!/usr/bin/env python3
"""Benchmark Proscore's encoder against PyTorch and ONNX Runtime on the CPU.

Tools-only script (never used at run time).

All three run the wav2vec2-base shape (transformers' default Wav2Vec2Config():
512-channel group-norm conv stack, 12 layers, hidden 768, FFN 3072) with random
weights on the same seeded audio. For each thread count: one warm-up run, then
--repeats timed runs; the median wall time and RTF (seconds of compute per
second of audio) are reported. Ratios > 1 mean Proscore is faster.

    python tools/bench_peers.py [--seconds 10] [--threads 1,2] [--repeats 5]
                                [--proscore PATH | --skip-proscore] [--skip-onnx] [--json]

Proscore is run as `<proscore> bench encoder --seconds S --threads 1,2
--repeats R --json` and must print one JSON object on stdout:
{"model": ..., "audio_seconds": S, "results": [{"threads": 1,
"median_seconds": ..., "rtf": ..., "runs": R}, ...]}. If the binary is
missing or fails, a warning is printed and its column is left empty.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PROSCORE = REPO_ROOT / ".build" / "release" / "proscore"
SAMPLE_RATE = 16000
MODEL_LABEL = "wav2vec2-base shape (random weights)"


def warn(msg: str) -> None:
    print(f"warning: {msg}", file=sys.stderr)


def info(msg: str, quiet: bool) -> None:
    # progress goes to stderr so that --json keeps stdout machine-readable
    print(msg, file=sys.stderr if quiet else sys.stdout, flush=True)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    try:
        out = subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def make_audio(seconds: float, seed: int) -> np.ndarray:
    """Seeded speech-like test signal, zero-mean/unit-variance normalised as the
    wav2vec2-base feature extractor would."""
    rng = np.random.default_rng(seed)
    n = int(round(seconds * SAMPLE_RATE))
    t = np.arange(n) / SAMPLE_RATE
    f0 = 150 + 50 * np.sin(2 * np.pi * 0.5 * t)
    phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE
    x = sum(np.sin(k * phase) / k for k in range(1, 8))
    x = x * np.clip(np.sin(2 * np.pi * 4 * t), 0, None) + 0.05 * rng.standard_normal(n)
    x = (x - x.mean()) / np.sqrt(x.var() + 1e-7)
    return x.astype(np.float32)


def time_runs(fn, repeats: int) -> dict:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return {"median_seconds": statistics.median(times), "runs": repeats, "all_seconds": times}


# ----------------------------------------------------------------------------- peers

def build_torch_model(seed: int):
    import torch
    from transformers import Wav2Vec2Config, Wav2Vec2Model

    torch.manual_seed(seed)
    cfg = Wav2Vec2Config()  # wav2vec2-base shape
    model = Wav2Vec2Model(cfg).eval()
    return model


def export_onnx(model, path: Path, seed: int) -> str:
    """Export with a dynamic audio length; returns a note on how it was exported."""
    import torch

    class Wrapper(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_values):
            return self.m(input_values).last_hidden_state

    # NB: the wrapper must be in eval mode too: torch.onnx.export restores the
    # exported module's train/eval state afterwards, recursively.
    wrapper = Wrapper(model).eval()
    dummy = torch.randn(1, SAMPLE_RATE, generator=torch.Generator().manual_seed(seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            torch.onnx.export(
                wrapper, (dummy,), str(path), dynamo=False, opset_version=17,
                input_names=["input_values"], output_names=["last_hidden_state"],
                dynamic_axes={"input_values": {1: "samples"}, "last_hidden_state": {1: "frames"}},
                do_constant_folding=True)
            how = "torch.onnx.export (TorchScript exporter), opset 17"
        except Exception as exc:  # newer torch may drop the TorchScript exporter
            warn(f"TorchScript ONNX export failed ({exc}); trying the dynamo exporter")
            samples = torch.export.Dim("samples", min=400, max=SAMPLE_RATE * 60)
            torch.onnx.export(
                wrapper, (dummy,), str(path), dynamo=True, opset_version=17,
                input_names=["input_values"], output_names=["last_hidden_state"],
                dynamic_shapes={"input_values": {1: samples}}, external_data=True)
            how = "torch.onnx.export(dynamo=True), opset 17"
    model.eval()
    return how


def bench_torch(model, audio: np.ndarray, n: int, repeats: int, quiet: bool) -> dict:
    import torch

    x = torch.from_numpy(audio)[None]
    prev = torch.get_num_threads()
    torch.set_num_threads(n)
    with torch.inference_mode():
        r = time_runs(lambda: model(x), repeats)
    torch.set_num_threads(prev)
    info(f"  PyTorch      threads={n}: median {r['median_seconds']:.3f} s", quiet)
    return r


def prepare_onnx(model, audio: np.ndarray, threads: list[int], seed: int, tmp: Path, quiet: bool):
    """Exports the model once and opens one session per thread count."""
    import onnxruntime as ort
    import torch

    path = tmp / "wav2vec2-base.onnx"
    t0 = time.perf_counter()
    how = export_onnx(model, path, seed)
    info(f"  exported ONNX in {time.perf_counter() - t0:.1f} s ({how})", quiet)
    x = audio[None]
    with torch.inference_mode():
        ref = model(torch.from_numpy(x)).last_hidden_state.numpy()
    sessions, max_diff = {}, None
    for n in threads:
        so = ort.SessionOptions()
        so.intra_op_num_threads = n
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
        if max_diff is None:
            got = sess.run(None, {sess.get_inputs()[0].name: x})[0]
            max_diff = float(np.abs(got - ref).max())
            info(f"  ONNX vs PyTorch max abs diff on the benchmark audio: {max_diff:.2e}", quiet)
            if not max_diff < 1e-2:
                warn(f"ONNX Runtime output differs from PyTorch by {max_diff}")
        sessions[n] = sess
    return sessions, how, max_diff


def bench_onnx(sessions, audio: np.ndarray, n: int, repeats: int, quiet: bool) -> dict:
    sess = sessions[n]
    name = sess.get_inputs()[0].name
    x = audio[None]
    r = time_runs(lambda: sess.run(None, {name: x}), repeats)
    info(f"  ONNX Runtime threads={n}: median {r['median_seconds']:.3f} s", quiet)
    return r


def run_proscore(binary: Path, seconds: float, threads: list[int], repeats: int, timeout: float):
    """Returns ({threads: result}, info dict) or (None, reason)."""
    if not binary.exists():
        return None, f"Proscore binary not found at {binary} (build it with `swift build -c release`)"
    cmd = [str(binary), "bench", "encoder", "--seconds", f"{seconds:g}",
           "--threads", ",".join(map(str, threads)), "--repeats", str(repeats), "--json"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"running {' '.join(cmd)} failed: {exc}"
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return None, f"{' '.join(cmd)} exited with {proc.returncode}: {' | '.join(tail)}"
    doc = None
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError:
        for line in reversed(proc.stdout.strip().splitlines()):
            if line.lstrip().startswith("{"):
                try:
                    doc = json.loads(line)
                    break
                except json.JSONDecodeError:
                    pass
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
        return None, f"could not parse Proscore's JSON output: {proc.stdout.strip()[:200]!r}"
    res = {}
    for r in doc["results"]:
        try:
            res[int(r["threads"])] = {"median_seconds": float(r["median_seconds"]),
                                      "rtf": float(r["rtf"]), "runs": int(r.get("runs", repeats)),
                                      "all_seconds": [float(v) for v in r.get("all_seconds", [r["median_seconds"]])]}
        except (KeyError, TypeError, ValueError):
            return None, f"malformed Proscore result entry: {r!r}"
    if doc.get("audio_seconds") is not None and abs(float(doc["audio_seconds"]) - seconds) > 1e-6:
        warn(f"Proscore timed {doc['audio_seconds']} s of audio, the peers {seconds} s")
    missing = [n for n in threads if n not in res]
    if missing:
        warn(f"Proscore reported no result for threads {missing}")
    return res, {"model": doc.get("model"), "audio_seconds": doc.get("audio_seconds"),
                 "command": " ".join(cmd)}


# ----------------------------------------------------------------------------- output

def fmt(v, spec=".3f"):
    return "" if v is None else format(v, spec)


def render_table(rows: list[dict]) -> str:
    headers = ["threads", "Proscore RTF", "PyTorch RTF", "ONNX Runtime RTF", "PyTorch÷Proscore", "ONNX÷Proscore",
               "best: Proscore / PyTorch / ONNX"]
    cells = [[str(r["threads"]), fmt(r["proscore_rtf"], ".4f"), fmt(r["pytorch_rtf"], ".4f"),
              fmt(r["onnxruntime_rtf"], ".4f"), fmt(r["pytorch_over_proscore"], ".2f"),
              fmt(r["onnx_over_proscore"], ".2f"),
              " / ".join(fmt(r[k], ".4f") or "-" for k in ("proscore_best_rtf", "pytorch_best_rtf", "onnxruntime_best_rtf"))]
             for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    line = lambda vals: " | ".join(v.rjust(w) for v, w in zip(vals, widths))  # noqa: E731
    sep = "-+-".join("-" * w for w in widths)
    return "\n".join([line(headers), sep] + [line(c) for c in cells])


def parse_threads(s: str) -> list[int]:
    try:
        vals = [int(v) for v in s.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--threads expects a comma-separated list of integers, got {s!r}")
    if not vals or any(v < 1 for v in vals):
        raise argparse.ArgumentTypeError(f"--threads values must be >= 1, got {s!r}")
    return vals


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Compare Proscore's encoder speed with PyTorch and ONNX Runtime.")
    ap.add_argument("--seconds", type=float, default=10.0, help="audio length in seconds (default 10)")
    ap.add_argument("--threads", type=parse_threads, default=[1, 2], help="thread counts, e.g. 1,2,4 (default 1,2)")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per round after one warm-up (default 3)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of all engines in turn (default 3)")
    ap.add_argument("--seed", type=int, default=0, help="seed for weights and audio (default 0)")
    ap.add_argument("--proscore", type=Path, default=DEFAULT_PROSCORE, help=f"Proscore binary (default {DEFAULT_PROSCORE})")
    ap.add_argument("--proscore-timeout", type=float, default=1800.0, help="seconds before giving up on Proscore")
    ap.add_argument("--skip-proscore", action="store_true", help="do not run Proscore")
    ap.add_argument("--skip-pytorch", action="store_true", help="do not time PyTorch")
    ap.add_argument("--skip-onnx", action="store_true", help="do not time ONNX Runtime")
    ap.add_argument("--json", action="store_true", help="print one JSON object on stdout instead of the table")
    args = ap.parse_args(argv)
    if args.repeats < 1 or args.seconds <= 0:
        ap.error("--repeats must be >= 1 and --seconds > 0")
    quiet = args.json

    import torch
    import transformers

    try:
        import onnxruntime as ort
        ort_version = ort.__version__
    except ImportError:
        ort, ort_version = None, None
        if not args.skip_onnx:
            warn("onnxruntime is not installed; skipping ONNX Runtime")
            args.skip_onnx = True

    # The machines this runs on are shared and noisy: run the engines in turns, round after
    # round, so that a slow spell hits all of them, and report the median over all runs.
    audio = make_audio(args.seconds, args.seed)
    model = sessions = None
    onnx_how = onnx_diff = attn = None
    tmp = Path(tempfile.mkdtemp(prefix="proscore-bench-onnx-"))
    if not (args.skip_pytorch and args.skip_onnx):
        info("building the PyTorch model (wav2vec2-base shape, random weights) ...", quiet)
        model = build_torch_model(args.seed)
        attn = getattr(model.config, "_attn_implementation", None)
        if not args.skip_onnx:
            sessions, onnx_how, onnx_diff = prepare_onnx(model, audio, args.threads, args.seed, tmp, quiet)

    times = {engine: {n: [] for n in args.threads} for engine in ("proscore", "pytorch", "onnx")}
    proscore_info = None
    try:
        for round_index in range(args.rounds):
            info(f"round {round_index + 1} of {args.rounds}", quiet)
            for n in args.threads:
                if not args.skip_proscore and not (proscore_info or {}).get("error"):
                    res, proscore_info = run_proscore(args.proscore.expanduser(), args.seconds, [n],
                                                      args.repeats, args.proscore_timeout)
                    if res is None:
                        warn(f"{proscore_info}; leaving the Proscore column empty")
                        proscore_info = {"error": proscore_info}
                    else:
                        times["proscore"][n] += res[n]["all_seconds"]
                        info(f"  Proscore     threads={n}: median {res[n]['median_seconds']:.3f} s", quiet)
                if model is not None and not args.skip_pytorch:
                    times["pytorch"][n] += bench_torch(model, audio, n, args.repeats, quiet)["all_seconds"]
                if sessions is not None:
                    times["onnx"][n] += bench_onnx(sessions, audio, n, args.repeats, quiet)["all_seconds"]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    def rtf(engine, n, pick=statistics.median):
        t = times[engine][n]
        return pick(t) / args.seconds if t else None

    rows = []
    for n in args.threads:
        p, t, o = rtf("proscore", n), rtf("pytorch", n), rtf("onnx", n)
        rows.append(dict(
            threads=n,
            proscore_rtf=p, pytorch_rtf=t, onnxruntime_rtf=o,
            proscore_best_rtf=rtf("proscore", n, min), pytorch_best_rtf=rtf("pytorch", n, min),
            onnxruntime_best_rtf=rtf("onnx", n, min),
            runs=len(times["proscore"][n]) or len(times["pytorch"][n]),
            pytorch_over_proscore=(t / p) if (t and p) else None,
            onnx_over_proscore=(o / p) if (o and p) else None,
        ))

    report = dict(
        model=MODEL_LABEL,
        audio_seconds=args.seconds,
        repeats=args.repeats,
        rounds=args.rounds,
        cpu=cpu_model(),
        logical_cpus=os.cpu_count(),
        python=platform.python_version(),
        torch_version=torch.__version__,
        transformers_version=transformers.__version__,
        onnxruntime_version=ort_version,
        torch_attention_implementation=attn,
        onnx_export=onnx_how,
        onnx_vs_pytorch_max_abs_diff=onnx_diff,
        proscore=proscore_info,
        results=rows,
    )
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print()
        print(f"{MODEL_LABEL}, {args.seconds:g} s of audio, median of {args.rounds} rounds × {args.repeats} runs "
              "(engines in turns, each warmed up); "
              "RTF = compute seconds / audio seconds; ratio > 1: Proscore is faster")
        print(render_table(rows))
        print(f"CPU: {report['cpu']} ({report['logical_cpus']} logical CPUs)")
        print(f"torch {torch.__version__}, transformers {transformers.__version__}, onnxruntime {ort_version}"
              + (f"; ONNX: {onnx_how}" if onnx_how else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
