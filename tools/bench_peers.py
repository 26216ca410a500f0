#!/usr/bin/env python3
"""Benchmark Proscore's encoder against PyTorch and ONNX Runtime on the CPU, in fp32 and int8.

Tools-only script (never used at run time).

All three run the same model shape with random weights on the same seeded audio:
  base  - wav2vec2-base (transformers' default Wav2Vec2Config(): 512-channel
          group-norm conv stack, 12 layers, hidden 768, 12 heads, FFN 3072);
  large - wav2vec2-large (hidden 1024, 24 layers, 16 heads, FFN 4096, the same
          512-channel conv stack with layer norm, stable (pre-norm) layer norm).
Precisions:
  fp32 - the engines as they come;
  int8 - dynamic quantisation (int8 weights, activations quantised on the fly):
         PyTorch torch.ao.quantization.quantize_dynamic({nn.Linear}, qint8);
         ONNX Runtime onnxruntime.quantization.quantize_dynamic (QInt8 weights,
         MatMul only: quantising the conv stack too (ConvInteger) is slower than
         fp32 there and costs fidelity; per-channel or per-tensor, whichever
         a probe run finds faster unless --ort-per-channel says which);
         Proscore `bench encoder --precision int8`.
For each shape, the engines take turns, round after round (each run warmed up
first): for every thread count and precision, Proscore, PyTorch, then ONNX
Runtime, --repeats timed runs each. The median over all rounds' runs and the
RTF (seconds of compute per second of audio) are reported. Ratios > 1 mean
Proscore is faster; "int8 speed-up" is an engine's fp32 RTF over its own int8 RTF.

    python tools/bench_peers.py [--seconds 10] [--threads 1,2] [--repeats 3] [--rounds 3]
                                [--shape base,large] [--precision fp32,int8]
                                [--ort-per-channel auto|on|off]
                                [--proscore PATH | --skip-proscore] [--skip-pytorch] [--skip-onnx] [--json]

Proscore is run as `<proscore> bench encoder --seconds S --threads T
--repeats R --json`, plus `--shape large` for the large shape and
`--precision int8` for int8 (neither flag is passed for base fp32), and must
print one JSON object on stdout: {"model": ..., "audio_seconds": S,
"results": [{"threads": 1, "median_seconds": ..., "rtf": ..., "runs": R}, ...]}.
If the binary does not know a flag (it exits non-zero with "Unknown option"),
that column reads "n/a (binary lacks --precision)" (or --shape) and the rest
runs on; if the binary is missing or fails otherwise, a warning is printed and
its column is left empty.
"""
from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import platform
import re
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
PRECISIONS = ("fp32", "int8")
# Wav2Vec2Config overrides per shape; "base" is transformers' default config.
SHAPES = {
    "base": {},
    "large": dict(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096,
                  feat_extract_norm="layer", do_stable_layer_norm=True),
}


def model_label(shape: str) -> str:
    return f"wav2vec2-{shape} shape (random weights)"


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

def build_torch_model(seed: int, shape: str = "base"):
    import torch
    from transformers import Wav2Vec2Config, Wav2Vec2Model

    torch.manual_seed(seed)
    cfg = Wav2Vec2Config(**SHAPES[shape])
    model = Wav2Vec2Model(cfg).eval()
    return model


def quantize_torch(model):
    """PyTorch dynamic int8: nn.Linear weights qint8 (per tensor), activations quantised per call.
    Returns a quantised copy; the fp32 model is left as it is."""
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao.quantization deprecation notices
        from torch.ao.quantization import quantize_dynamic
        return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8).eval()


def fidelity(got: np.ndarray, ref: np.ndarray) -> dict:
    got, ref = got.astype(np.float64).ravel(), ref.astype(np.float64).ravel()
    cos = float(got @ ref / (np.linalg.norm(got) * np.linalg.norm(ref) + 1e-30))
    return {"cosine_to_fp32": cos, "max_abs_diff_to_fp32": float(np.abs(got - ref).max())}


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


def bench_torch(model, audio: np.ndarray, n: int, repeats: int, quiet: bool, label: str = "PyTorch") -> dict:
    import torch

    x = torch.from_numpy(audio)[None]
    prev = torch.get_num_threads()
    torch.set_num_threads(n)
    with torch.inference_mode():
        r = time_runs(lambda: model(x), repeats)
    torch.set_num_threads(prev)
    info(f"  {label:<17} threads={n}: median {r['median_seconds']:.3f} s", quiet)
    return r


def open_session(path: Path, n: int):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = n
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def quantize_onnx(src: Path, dst: Path, per_channel: bool) -> None:
    """ONNX Runtime dynamic int8: QInt8 weights of the MatMuls with a constant weight (the linear
    layers); activations quantised to u8 on the fly. The conv stack stays fp32: quantising it
    (ConvInteger) made ORT slower than fp32 and dropped the cosine to fp32 to ~0.96."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # "Please consider to run pre-processing before quantization"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quantize_dynamic(str(src), str(dst), op_types_to_quantize=["MatMul"], per_channel=per_channel,
                             reduce_range=False, weight_type=QuantType.QInt8,
                             use_external_data_format=src.stat().st_size > 1_800_000_000)
    finally:
        root.setLevel(level)


def prepare_onnx(model, audio: np.ndarray, threads: list[int], seed: int, tmp: Path, quiet: bool,
                 shape: str = "base", precisions=("fp32",), per_channel: str = "auto", ref=None):
    """Exports the model once (and quantises it for int8); opens one session per thread count and
    precision. Returns ({precision: {threads: session}}, notes)."""
    import torch

    path = tmp / f"wav2vec2-{shape}.onnx"
    t0 = time.perf_counter()
    how = export_onnx(model, path, seed)
    info(f"  exported ONNX in {time.perf_counter() - t0:.1f} s ({how})", quiet)
    x = audio[None]
    if ref is None:
        with torch.inference_mode():
            ref = model(torch.from_numpy(x)).last_hidden_state.numpy()
    notes = {"onnx_export": how, "onnx_vs_pytorch_max_abs_diff": None}
    sessions = {}
    if "fp32" in precisions:
        sessions["fp32"] = {}
        for n in threads:
            sess = open_session(path, n)
            if notes["onnx_vs_pytorch_max_abs_diff"] is None:
                got = sess.run(None, {sess.get_inputs()[0].name: x})[0]
                max_diff = notes["onnx_vs_pytorch_max_abs_diff"] = float(np.abs(got - ref).max())
                info(f"  ONNX vs PyTorch max abs diff on the benchmark audio: {max_diff:.2e}", quiet)
                if not max_diff < 1e-2:
                    warn(f"ONNX Runtime output differs from PyTorch by {max_diff}")
            sessions["fp32"][n] = sess
    if "int8" in precisions:
        variants = {"per_tensor": False, "per_channel": True}
        if per_channel != "auto":
            variants = {k: v for k, v in variants.items() if v == (per_channel == "on")}
        paths, probe = {}, {}
        for name, pc in variants.items():
            paths[name] = tmp / f"wav2vec2-{shape}-int8-{name}.onnx"
            t0 = time.perf_counter()
            quantize_onnx(path, paths[name], pc)
            info(f"  quantised ONNX ({name.replace('_', '-')} QInt8 weights, MatMul) in "
                 f"{time.perf_counter() - t0:.1f} s", quiet)
        if len(paths) > 1:
            # Probe both at the first thread count: a warm-up each, then two runs each in turns.
            probe_sessions = {name: open_session(pth, threads[0]) for name, pth in paths.items()}
            for sess in probe_sessions.values():
                sess.run(None, {sess.get_inputs()[0].name: x})
            for _ in range(2):
                for name, sess in probe_sessions.items():
                    t0 = time.perf_counter()
                    sess.run(None, {sess.get_inputs()[0].name: x})
                    probe[name] = min(probe.get(name, float("inf")), time.perf_counter() - t0)
            chosen = min(probe, key=probe.get)
            info(f"  ORT int8 probe (threads={threads[0]}, best of 2): "
                 + ", ".join(f"{k.replace('_', '-')} {v:.3f} s" for k, v in probe.items())
                 + f" -> {chosen.replace('_', '-')}", quiet)
            del probe_sessions
        else:
            chosen = next(iter(paths))
        sessions["int8"] = {n: open_session(paths[chosen], n) for n in threads}
        sess = sessions["int8"][threads[0]]
        fid = fidelity(sess.run(None, {sess.get_inputs()[0].name: x})[0], ref)
        info(f"  ORT int8 vs fp32 on the benchmark audio: cosine {fid['cosine_to_fp32']:.5f}, "
             f"max abs diff {fid['max_abs_diff_to_fp32']:.2e}", quiet)
        notes["onnx_int8"] = dict(
            method="onnxruntime.quantization.quantize_dynamic(weight_type=QInt8, op_types_to_quantize=['MatMul'])",
            per_channel=(chosen == "per_channel"),
            selection=("auto: faster in the probe" if per_channel == "auto" else f"--ort-per-channel {per_channel}"),
            probe_seconds=probe or None, **fid)
    return sessions, notes


def bench_onnx(sessions, audio: np.ndarray, n: int, repeats: int, quiet: bool, label: str = "ONNX Runtime") -> dict:
    sess = sessions[n]
    name = sess.get_inputs()[0].name
    x = audio[None]
    r = time_runs(lambda: sess.run(None, {name: x}), repeats)
    info(f"  {label:<17} threads={n}: median {r['median_seconds']:.3f} s", quiet)
    return r


def proscore_command(binary: Path, seconds: float, threads: list[int], repeats: int,
                     shape: str = "base", precision: str = "fp32") -> list[str]:
    cmd = [str(binary), "bench", "encoder", "--seconds", f"{seconds:g}",
           "--threads", ",".join(map(str, threads)), "--repeats", str(repeats), "--json"]
    # Base fp32 passes neither flag, so binaries that predate them still run it.
    if shape != "base":
        cmd += ["--shape", shape]
    if precision != "fp32":
        cmd += ["--precision", precision]
    return cmd


def run_proscore(binary: Path, seconds: float, threads: list[int], repeats: int, timeout: float,
                 shape: str = "base", precision: str = "fp32"):
    """Returns ({threads: result}, info dict) or (None, info dict with "error" and "status":
    "n/a (binary lacks --flag)" when the binary does not know a flag we passed, else "failed")."""
    if not binary.exists():
        return None, {"status": "failed",
                      "error": f"Proscore binary not found at {binary} (build it with `swift build -c release`)"}
    cmd = proscore_command(binary, seconds, threads, repeats, shape, precision)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, {"status": "failed", "error": f"running {' '.join(cmd)} failed: {exc}"}
    if proc.returncode != 0:
        out = (proc.stderr or "") + "\n" + (proc.stdout or "")
        tail = out.strip().splitlines()[-3:]
        err = f"{' '.join(cmd)} exited with {proc.returncode}: {' | '.join(tail)}"
        m = re.search(r"unknown option[^-\w]*(--[\w-]+)?", out, re.IGNORECASE)
        if m:
            passed = [a for a in cmd if a in ("--shape", "--precision")]
            flag = m.group(1) if m.group(1) in passed else " / ".join(passed) or m.group(1) or "an option"
            return None, {"status": f"n/a (binary lacks {flag})", "error": err}
        return None, {"status": "failed", "error": err}
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
        return None, {"status": "failed", "error": f"could not parse Proscore's JSON output: {proc.stdout.strip()[:200]!r}"}
    res = {}
    for r in doc["results"]:
        try:
            res[int(r["threads"])] = {"median_seconds": float(r["median_seconds"]),
                                      "rtf": float(r["rtf"]), "runs": int(r.get("runs", repeats)),
                                      "all_seconds": [float(v) for v in r.get("all_seconds", [r["median_seconds"]])]}
        except (KeyError, TypeError, ValueError):
            return None, {"status": "failed", "error": f"malformed Proscore result entry: {r!r}"}
    if doc.get("audio_seconds") is not None and abs(float(doc["audio_seconds"]) - seconds) > 1e-6:
        warn(f"Proscore timed {doc['audio_seconds']} s of audio, the peers {seconds} s")
    missing = [n for n in threads if n not in res]
    if missing:
        warn(f"Proscore reported no result for threads {missing}")
    out = {"status": "ok", "model": doc.get("model"), "audio_seconds": doc.get("audio_seconds"),
           "command": " ".join(cmd)}
    # A binary that says which path ran (e.g. int8 falling back to fp32 without VNNI) is taken at its word.
    for key in ("precision", "shape"):
        if doc.get(key) is not None:
            out[key] = doc[key]
    asked = {"precision": precision, "shape": shape}
    for key, want in asked.items():
        got = out.get(key)
        if isinstance(got, str) and got.lower() != want:
            warn(f"Proscore was asked for {key} {want} but reports {got}")
            out["status"] = f"ran {key} {got}"
    return res, out


# ----------------------------------------------------------------------------- output

def fmt(v, spec=".3f"):
    return "" if v is None else format(v, spec)


def render_table(rows: list[dict]) -> str:
    headers = ["shape", "precision", "threads", "Proscore RTF", "PyTorch RTF", "ONNX Runtime RTF",
               "PyTorch÷Proscore", "ONNX÷Proscore", "int8 speed-up: Proscore / PyTorch / ONNX",
               "best: Proscore / PyTorch / ONNX"]
    cells = []
    for r in rows:
        status = r.get("proscore_status") or ""
        proscore_cell = fmt(r["proscore_rtf"], ".4f") or ("n/a" if status.startswith("n/a") else "")
        speedup = ""
        if r["precision"] != "fp32":
            speedup = " / ".join(fmt(r.get(k), ".2f") + "×" if r.get(k) is not None else "-"
                                 for k in ("proscore_int8_speedup", "pytorch_int8_speedup", "onnxruntime_int8_speedup"))
        cells.append([r["shape"], r["precision"], str(r["threads"]), proscore_cell, fmt(r["pytorch_rtf"], ".4f"),
                      fmt(r["onnxruntime_rtf"], ".4f"), fmt(r["pytorch_over_proscore"], ".2f"),
                      fmt(r["onnx_over_proscore"], ".2f"), speedup,
                      " / ".join(fmt(r[k], ".4f") or "-"
                                 for k in ("proscore_best_rtf", "pytorch_best_rtf", "onnxruntime_best_rtf"))])
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


def parse_choices(flag: str, allowed):
    def parse(s: str) -> list[str]:
        vals = [v.strip().lower() for v in s.split(",") if v.strip()]
        bad = [v for v in vals if v not in allowed]
        if not vals or bad:
            raise argparse.ArgumentTypeError(f"{flag} expects a comma-separated list of {', '.join(allowed)}; got {s!r}")
        return list(dict.fromkeys(vals))
    return parse


def build_rows(times: dict, shapes: list[str], precisions: list[str], threads: list[int], seconds: float,
               proscore_runs: dict) -> list[dict]:
    """times[(shape, precision, engine)][threads] -> list of seconds; engine in proscore, pytorch, onnx."""
    def rtf(shape, prec, engine, n, pick=statistics.median):
        t = times.get((shape, prec, engine), {}).get(n)
        return pick(t) / seconds if t else None

    def ratio(a, b):
        return (a / b) if (a and b) else None

    rows = []
    for shape in shapes:
        for prec in precisions:
            for n in threads:
                p, t, o = (rtf(shape, prec, e, n) for e in ("proscore", "pytorch", "onnx"))
                row = dict(
                    shape=shape, precision=prec, threads=n,
                    proscore_rtf=p, pytorch_rtf=t, onnxruntime_rtf=o,
                    proscore_best_rtf=rtf(shape, prec, "proscore", n, min),
                    pytorch_best_rtf=rtf(shape, prec, "pytorch", n, min),
                    onnxruntime_best_rtf=rtf(shape, prec, "onnx", n, min),
                    runs=max(len(times.get((shape, prec, e), {}).get(n) or []) for e in ("proscore", "pytorch", "onnx")),
                    pytorch_over_proscore=ratio(t, p), onnx_over_proscore=ratio(o, p),
                    proscore_status=(proscore_runs.get(f"{shape}/{prec}") or {}).get("status"),
                )
                if prec != "fp32":
                    for key, e in (("proscore", "proscore"), ("pytorch", "pytorch"), ("onnxruntime", "onnx")):
                        row[f"{key}_int8_speedup"] = ratio(rtf(shape, "fp32", e, n), rtf(shape, prec, e, n))
                rows.append(row)
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Compare Proscore's encoder speed with PyTorch and ONNX Runtime, "
                                             "fp32 and int8.")
    ap.add_argument("--seconds", type=float, default=10.0, help="audio length in seconds (default 10)")
    ap.add_argument("--threads", type=parse_threads, default=[1, 2], help="thread counts, e.g. 1,2,4 (default 1,2)")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per round after one warm-up (default 3)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of all engines in turn (default 3)")
    ap.add_argument("--shape", type=parse_choices("--shape", tuple(SHAPES)), default=["base"],
                    help="model shapes, comma-separated: base, large (default base; large is ~3.5× the work)")
    ap.add_argument("--precision", type=parse_choices("--precision", PRECISIONS), default=list(PRECISIONS),
                    help="precisions, comma-separated: fp32, int8 (default fp32,int8)")
    ap.add_argument("--ort-per-channel", choices=("auto", "on", "off"), default="auto",
                    help="ONNX Runtime int8 weights per output channel (on), per tensor (off), or whichever "
                         "a probe run finds faster (auto, the default)")
    ap.add_argument("--seed", type=int, default=0, help="seed for weights and audio (default 0)")
    ap.add_argument("--proscore", type=Path, default=DEFAULT_PROSCORE, help=f"Proscore binary (default {DEFAULT_PROSCORE})")
    ap.add_argument("--proscore-timeout", type=float, default=1800.0, help="seconds before giving up on Proscore")
    ap.add_argument("--skip-proscore", action="store_true", help="do not run Proscore")
    ap.add_argument("--skip-pytorch", action="store_true", help="do not time PyTorch")
    ap.add_argument("--skip-onnx", action="store_true", help="do not time ONNX Runtime")
    ap.add_argument("--json", action="store_true", help="print one JSON object on stdout instead of the table")
    args = ap.parse_args(argv)
    if args.repeats < 1 or args.seconds <= 0 or args.rounds < 1:
        ap.error("--repeats and --rounds must be >= 1 and --seconds > 0")
    quiet = args.json
    shapes, precisions = args.shape, [p for p in PRECISIONS if p in args.precision]

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
    onnx_version = None
    if not args.skip_onnx:
        try:
            import onnx
            onnx_version = onnx.__version__
        except ImportError:
            if "int8" in precisions:
                warn("onnx is not installed (onnxruntime's quantisation needs it); skipping ONNX Runtime int8")

    # The machines this runs on are shared and noisy: run the engines in turns, round after
    # round, so that a slow spell hits all of them, and report the median over all runs.
    # Shapes run one after the other (a shape's models are freed before the next is built).
    audio = make_audio(args.seconds, args.seed)
    times: dict = {}
    peers: dict = {}
    proscore_runs: dict = {}
    attn = None
    binary = args.proscore.expanduser()
    if not args.skip_proscore and not binary.exists():
        warn(f"Proscore binary not found at {binary} (build it with `swift build -c release`); "
             "leaving the Proscore column empty")
        args.skip_proscore = True
    for shape in shapes:
        model = torch_int8 = None
        sessions: dict = {}
        torch_models: dict = {}
        ref = None
        notes: dict = {"config": SHAPES[shape] or "transformers Wav2Vec2Config() defaults"}
        tmp = Path(tempfile.mkdtemp(prefix="proscore-bench-onnx-"))
        try:
            if not (args.skip_pytorch and args.skip_onnx):
                info(f"building the PyTorch model ({model_label(shape)}) ...", quiet)
                model = build_torch_model(args.seed, shape)
                attn = getattr(model.config, "_attn_implementation", None)
                if "int8" in precisions:
                    with torch.inference_mode():
                        ref = model(torch.from_numpy(audio)[None]).last_hidden_state.numpy()
                if "int8" in precisions and not args.skip_pytorch:
                    torch_int8 = quantize_torch(model)
                    with torch.inference_mode():
                        fid = fidelity(torch_int8(torch.from_numpy(audio)[None]).last_hidden_state.numpy(), ref)
                    notes["pytorch_int8"] = dict(
                        method="torch.ao.quantization.quantize_dynamic({nn.Linear}, dtype=torch.qint8)",
                        quantized_engine=torch.backends.quantized.engine, **fid)
                    info(f"  PyTorch int8 vs fp32 on the benchmark audio: cosine {fid['cosine_to_fp32']:.5f}, "
                         f"max abs diff {fid['max_abs_diff_to_fp32']:.2e}", quiet)
                if not args.skip_onnx:
                    onnx_precisions = [p for p in precisions if p == "fp32" or onnx_version is not None]
                    sessions, onnx_notes = prepare_onnx(model, audio, args.threads, args.seed, tmp, quiet, shape,
                                                        onnx_precisions, args.ort_per_channel, ref)
                    notes.update(onnx_notes)
                if args.skip_pytorch:
                    model = None
                    gc.collect()
            peers[shape] = notes
            torch_models = {"fp32": model, "int8": torch_int8}

            for round_index in range(args.rounds):
                info(f"{shape}: round {round_index + 1} of {args.rounds}", quiet)
                for n in args.threads:
                    for prec in precisions:
                        key = f"{shape}/{prec}"
                        if not args.skip_proscore and proscore_runs.get(key, {}).get("status", "ok") == "ok":
                            res, pinfo = run_proscore(binary, args.seconds, [n], args.repeats,
                                                      args.proscore_timeout, shape, prec)
                            proscore_runs[key] = pinfo
                            if res is None:
                                if pinfo["status"].startswith("n/a"):
                                    warn(f"Proscore {shape} {prec}: {pinfo['status']}; carrying on without it")
                                else:
                                    warn(f"{pinfo['error']}; leaving the Proscore {shape} {prec} column empty")
                            elif n in res:
                                times.setdefault((shape, prec, "proscore"), {}).setdefault(n, []).extend(
                                    res[n]["all_seconds"])
                                info(f"  {'Proscore ' + prec:<17} threads={n}: median "
                                     f"{res[n]['median_seconds']:.3f} s", quiet)
                        tm = torch_models.get(prec)
                        if tm is not None and not args.skip_pytorch:
                            r = bench_torch(tm, audio, n, args.repeats, quiet, f"PyTorch {prec}")
                            times.setdefault((shape, prec, "pytorch"), {}).setdefault(n, []).extend(r["all_seconds"])
                        if prec in sessions:
                            r = bench_onnx(sessions[prec], audio, n, args.repeats, quiet, f"ONNX Runtime {prec}")
                            times.setdefault((shape, prec, "onnx"), {}).setdefault(n, []).extend(r["all_seconds"])
        finally:
            model = torch_int8 = ref = None
            sessions, torch_models = {}, {}
            gc.collect()
            shutil.rmtree(tmp, ignore_errors=True)

    rows = build_rows(times, shapes, precisions, args.threads, args.seconds, proscore_runs)
    first = peers.get(shapes[0], {})
    report = dict(
        model=", ".join(model_label(s) for s in shapes),
        shapes=shapes,
        precisions=precisions,
        audio_seconds=args.seconds,
        repeats=args.repeats,
        rounds=args.rounds,
        cpu=cpu_model(),
        logical_cpus=os.cpu_count(),
        python=platform.python_version(),
        torch_version=torch.__version__,
        transformers_version=transformers.__version__,
        onnxruntime_version=ort_version,
        onnx_version=onnx_version,
        torch_attention_implementation=attn,
        torch_quantized_engine=torch.backends.quantized.engine if "int8" in precisions else None,
        onnx_export=first.get("onnx_export"),
        onnx_vs_pytorch_max_abs_diff=first.get("onnx_vs_pytorch_max_abs_diff"),
        peers=peers,
        proscore=None if args.skip_proscore else {"binary": str(binary), "runs": proscore_runs},
        results=rows,
    )
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print()
        print(f"{', '.join(model_label(s) for s in shapes)}; {args.seconds:g} s of audio, median of {args.rounds} "
              f"rounds × {args.repeats} runs (engines in turns, each warmed up); "
              "RTF = compute seconds / audio seconds; ratio > 1: Proscore is faster; "
              "int8 speed-up = the engine's fp32 RTF / its int8 RTF")
        print(render_table(rows))
        for key, pinfo in proscore_runs.items():
            if pinfo.get("status") != "ok":
                print(f"Proscore {key.replace('/', ' ')}: {pinfo.get('status')}"
                      + (f" ({pinfo['error']})" if pinfo.get("status") == "failed" else ""))
            elif pinfo.get("model"):
                print(f"Proscore {key.replace('/', ' ')}: {pinfo['model']}"
                      + (f", precision {pinfo['precision']}" if pinfo.get("precision") else ""))
        for shape, notes in peers.items():
            if "pytorch_int8" in notes:
                n = notes["pytorch_int8"]
                print(f"PyTorch int8 ({shape}): {n['method']}, engine {n['quantized_engine']}; "
                      f"cosine to fp32 {n['cosine_to_fp32']:.5f}")
            if "onnx_int8" in notes:
                n = notes["onnx_int8"]
                probe = n.get("probe_seconds") or {}
                print(f"ONNX Runtime int8 ({shape}): quantize_dynamic, QInt8 weights, MatMul only, "
                      f"{'per-channel' if n['per_channel'] else 'per-tensor'} ({n['selection']}"
                      + ("; " + ", ".join(f"{k.replace('_', '-')} {v:.3f} s" for k, v in probe.items()) if probe else "")
                      + f"); cosine to fp32 {n['cosine_to_fp32']:.5f}")
        print(f"CPU: {report['cpu']} ({report['logical_cpus']} logical CPUs)")
        print(f"torch {torch.__version__}, transformers {transformers.__version__}, onnxruntime {ort_version}"
              + (f", onnx {onnx_version}" if onnx_version else "")
              + (f"; ONNX: {report['onnx_export']}" if report["onnx_export"] else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
