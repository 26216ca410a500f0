"""Tests for tools/bench_peers.py (tools only; run with `python -m pytest tools`).

The Proscore-side tests use a stub binary (a small Python script), so they need
only numpy; the end-to-end test runs a tiny model and skips without torch,
transformers, onnx or onnxruntime."""
from __future__ import annotations

import json
import stat
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("numpy")

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_peers  # noqa: E402


def stub_binary(tmp_path: Path, known_flags: tuple[str, ...]) -> Path:
    """A fake `proscore` that knows the base flags plus known_flags, rejecting others the way
    swift-argument-parser does (exit 64, "Error: Unknown option '--x'")."""
    path = tmp_path / "proscore"
    path.write_text(textwrap.dedent(f"""\
        #!{sys.executable}
        import json, sys
        args = sys.argv[1:]
        known = {{"--seconds", "--threads", "--repeats", "--json"}} | set({list(known_flags)!r})
        for a in args:
            if a.startswith("--") and a not in known:
                print(f"Error: Unknown option '{{a}}'", file=sys.stderr)
                sys.exit(64)
        val = lambda f, d: args[args.index(f) + 1] if f in args else d
        seconds = float(val("--seconds", "10"))
        rtf = 0.2 if val("--precision", "fp32") == "fp32" else 0.08
        doc = {{"model": "stub " + val("--shape", "base"), "audio_seconds": seconds,
               "precision": val("--precision", "fp32"),
               "results": [{{"threads": int(t), "median_seconds": rtf * seconds, "rtf": rtf,
                            "runs": int(val("--repeats", "3"))}} for t in val("--threads", "1").split(",")]}}
        print(json.dumps(doc))
        """))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_command_passes_new_flags_only_when_needed(tmp_path):
    b = tmp_path / "p"
    base = bench_peers.proscore_command(b, 2, [1, 2], 3)
    assert "--precision" not in base and "--shape" not in base
    cmd = bench_peers.proscore_command(b, 2, [1], 3, shape="large", precision="int8")
    assert cmd[cmd.index("--shape") + 1] == "large" and cmd[cmd.index("--precision") + 1] == "int8"


def test_binary_without_precision_is_reported_na(tmp_path):
    binary = stub_binary(tmp_path, ())
    res, info = bench_peers.run_proscore(binary, 2.0, [1], 1, 60, "base", "fp32")
    assert res[1]["rtf"] == pytest.approx(0.2) and info["status"] == "ok"
    res, info = bench_peers.run_proscore(binary, 2.0, [1], 1, 60, "base", "int8")
    assert res is None and info["status"] == "n/a (binary lacks --precision)"
    res, info = bench_peers.run_proscore(binary, 2.0, [1], 1, 60, "large", "fp32")
    assert res is None and info["status"] == "n/a (binary lacks --shape)"


def test_binary_with_precision_runs_int8(tmp_path):
    binary = stub_binary(tmp_path, ("--precision", "--shape"))
    res, info = bench_peers.run_proscore(binary, 2.0, [1, 2], 1, 60, "large", "int8")
    assert info["status"] == "ok" and info["precision"] == "int8" and info["model"] == "stub large"
    assert sorted(res) == [1, 2] and res[2]["rtf"] == pytest.approx(0.08)


def test_rows_ratios_speedups_and_table():
    times = {("base", "fp32", "proscore"): {1: [2.0]}, ("base", "fp32", "pytorch"): {1: [3.0]},
             ("base", "fp32", "onnx"): {1: [2.5]},
             ("base", "int8", "pytorch"): {1: [2.0]}, ("base", "int8", "onnx"): {1: [1.0]}}
    runs = {"base/fp32": {"status": "ok"}, "base/int8": {"status": "n/a (binary lacks --precision)"}}
    rows = bench_peers.build_rows(times, ["base"], ["fp32", "int8"], [1], 10.0, runs)
    fp32, int8 = rows
    assert fp32["pytorch_over_proscore"] == pytest.approx(1.5) and fp32["onnx_over_proscore"] == pytest.approx(1.25)
    assert "pytorch_int8_speedup" not in fp32
    assert int8["proscore_rtf"] is None and int8["pytorch_over_proscore"] is None
    assert int8["pytorch_int8_speedup"] == pytest.approx(1.5) and int8["onnxruntime_int8_speedup"] == pytest.approx(2.5)
    assert int8["proscore_int8_speedup"] is None
    table = bench_peers.render_table(rows)
    assert "n/a" in table.splitlines()[3] and "1.50×" in table and "2.50×" in table


def test_end_to_end_tiny_model(tmp_path, monkeypatch, capsys):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    tiny = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
                conv_dim=(32,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4)
    monkeypatch.setitem(bench_peers.SHAPES, "tiny", tiny)
    binary = stub_binary(tmp_path, ("--seconds",))  # knows neither --precision nor --shape
    rc = bench_peers.main(["--shape", "tiny", "--seconds", "0.5", "--threads", "1", "--rounds", "1",
                           "--repeats", "1", "--proscore", str(binary), "--json"])
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    rows = {(r["shape"], r["precision"], r["threads"]): r for r in doc["results"]}
    assert set(rows) == {("tiny", "fp32", 1), ("tiny", "int8", 1)}
    for r in rows.values():
        assert r["pytorch_rtf"] > 0 and r["onnxruntime_rtf"] > 0
    assert rows[("tiny", "int8", 1)]["proscore_status"] == "n/a (binary lacks --shape)"
    assert rows[("tiny", "int8", 1)]["onnxruntime_int8_speedup"] > 0
    notes = doc["peers"]["tiny"]
    assert notes["onnx_int8"]["cosine_to_fp32"] > 0.9 and notes["pytorch_int8"]["cosine_to_fp32"] > 0.9
    assert set(notes["onnx_int8"]["probe_seconds"]) == {"per_tensor", "per_channel"}
