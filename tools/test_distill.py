"""Tests for the pure pieces of tools/distill (no torch, teachers or corpora needed;
the PyTorch transplant test skips without torch/transformers). Run: python -m pytest tools"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from distill.ct2bin import read_ct2_model, write_ct2_model  # noqa: E402
from distill.frontend import (CENTRE_OFFSET, FRAME, GAP_SAMPLES, WINDOW_FRAMES, WINDOW_SAMPLES,  # noqa: E402
                              chunk_lengths, conv_out_len, log_mel, mel_filters, pack_windows,
                              spell_numbers)


def test_ct2_reader_roundtrip(tmp_path):
    rng = np.random.default_rng(0)
    v = {"encoder/conv1/weight": rng.standard_normal((4, 3, 2)).astype(np.float16),
         "encoder/num_heads": np.array(8, dtype=np.int16),
         "decoder/embeddings/weight": rng.standard_normal((5, 4)).astype(np.float32),
         "encoder/scale": np.arange(6, dtype=np.int8).reshape(2, 3)}
    p = tmp_path / "model.bin"
    write_ct2_model(p, "WhisperSpec", v, {"decoder/projection/weight": "decoder/embeddings/weight"}, revision=3)
    m = read_ct2_model(p)
    assert (m["version"], m["spec"], m["revision"]) == (6, "WhisperSpec", 3)
    assert m["variables"]["encoder/conv1/weight"].dtype == np.float32
    np.testing.assert_array_equal(m["variables"]["encoder/conv1/weight"], v["encoder/conv1/weight"].astype(np.float32))
    assert int(m["variables"]["encoder/num_heads"]) == 8
    np.testing.assert_array_equal(m["variables"]["encoder/scale"], v["encoder/scale"])
    np.testing.assert_array_equal(m["variables"]["decoder/projection/weight"], v["decoder/embeddings/weight"])
    raw = read_ct2_model(p, float32=False)
    assert raw["variables"]["encoder/conv1/weight"].dtype == np.float16


def test_log_mel_shape_and_range():
    assert log_mel(np.zeros(WINDOW_SAMPLES, np.float32)).shape == (80, 3000)
    t = np.arange(16000) / 16000
    m = log_mel(np.sin(2 * np.pi * 440 * t).astype(np.float32))
    assert m.shape == (80, 100)
    assert m.max() <= (m.max() + 4) and m.max() - m.min() <= 2.0 + 1e-5  # 8 decades / 4
    # 440 Hz lands in a low mel band
    assert int(np.argmax(m[:, 50])) < 20


def test_mel_filters_slaney():
    w = mel_filters()
    assert w.shape == (80, 201)
    assert (w >= 0).all() and (w.sum(1) > 0).all()


def test_conv_out_len_matches_wav2vec2_formula():
    assert conv_out_len(400) == 1 and conv_out_len(399) == 0
    assert conv_out_len(16000) == 49
    for n in (400, 1000, 16000, 123457):
        assert conv_out_len(n) == (n - 400) // 320 + 1


def test_pack_windows_alignment_and_fit():
    lens = [16000 * 10, 16000 * 12, 16000 * 9, 16000 * 29, 7000, 5000]
    wins = pack_windows(lens)
    seen = []
    for w in wins:
        prev_end = -GAP_SAMPLES
        for i, start, k in w:
            seen.append(i)
            assert start == FRAME * k - CENTRE_OFFSET and start >= 0
            assert start >= prev_end + GAP_SAMPLES
            assert start + lens[i] <= WINDOW_SAMPLES
            assert k + conv_out_len(lens[i]) <= WINDOW_FRAMES
            prev_end = start + lens[i]
    assert seen == list(range(len(lens)))
    with pytest.raises(ValueError):
        pack_windows([WINDOW_SAMPLES])


def test_chunk_lengths():
    assert chunk_lengths(1000, 5000) == [(0, 1000)]
    ch = chunk_lengths(35 * 16000, 15 * 16000)
    assert ch[0][0] == 0 and ch[-1][1] == 35 * 16000 and len(ch) == 3
    assert all(b - a <= 15 * 16000 for a, b in ch) and all(a % FRAME == 0 for a, _ in ch)


def test_spell_numbers():
    assert " ".join(spell_numbers("3, 2, 27 and 1,200").split()) == "THREE , TWO , TWENTY SEVEN and ONE THOUSAND TWO HUNDRED"


def test_transplant_reproduces_whisper_layer(tmp_path):
    """A synthetic CTranslate2 Whisper layer copied into a Wav2Vec2 pre-norm layer gives the
    same output as a direct implementation of Whisper's layer."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from distill.teacher import load_whisper_layers
    from transformers import Wav2Vec2Config
    from transformers.models.wav2vec2.modeling_wav2vec2 import Wav2Vec2EncoderLayerStableLayerNorm
    H, F, heads = 16, 32, 2
    rng = np.random.default_rng(1)
    def r(*s):
        return (0.3 * rng.standard_normal(s)).astype(np.float32)
    p = "encoder/layer_0/"
    qkv_b = r(3 * H); qkv_b[H:2 * H] = 0
    V = {p + "self_attention/linear_0/weight": r(3 * H, H), p + "self_attention/linear_0/bias": qkv_b,
         p + "self_attention/linear_1/weight": r(H, H), p + "self_attention/linear_1/bias": r(H),
         p + "self_attention/layer_norm/gamma": 1 + r(H), p + "self_attention/layer_norm/beta": r(H),
         p + "ffn/layer_norm/gamma": 1 + r(H), p + "ffn/layer_norm/beta": r(H),
         p + "ffn/linear_0/weight": r(F, H), p + "ffn/linear_0/bias": r(F),
         p + "ffn/linear_1/weight": r(H, F), p + "ffn/linear_1/bias": r(H),
         "encoder/layer_norm/gamma": 1 + r(H), "encoder/layer_norm/beta": r(H)}
    write_ct2_model(tmp_path / "model.bin", "WhisperSpec", V)
    V = read_ct2_model(tmp_path / "model.bin")["variables"]
    cfg = Wav2Vec2Config(hidden_size=H, num_attention_heads=heads, intermediate_size=F, layer_norm_eps=1e-5,
                         hidden_act="gelu", hidden_dropout=0.0, attention_dropout=0.0, activation_dropout=0.0)
    cfg._attn_implementation = "eager"
    layer = Wav2Vec2EncoderLayerStableLayerNorm(cfg).eval()
    ln = torch.nn.LayerNorm(H, eps=1e-5)
    load_whisper_layers([layer], ln, V, torch)
    x = torch.from_numpy(r(1, 7, H))
    T = lambda k: torch.from_numpy(np.array(V[k]))  # noqa: E731
    # Whisper's encoder layer, written out
    import torch.nn.functional as Fn
    h = Fn.layer_norm(x, (H,), T(p + "self_attention/layer_norm/gamma"), T(p + "self_attention/layer_norm/beta"), 1e-5)
    qkv = h @ T(p + "self_attention/linear_0/weight").T + T(p + "self_attention/linear_0/bias")
    q, k, v = (t.view(1, 7, heads, H // heads).transpose(1, 2) for t in qkv.split(H, -1))
    a = torch.softmax(q @ k.transpose(-1, -2) / (H // heads) ** 0.5, -1) @ v
    a = a.transpose(1, 2).reshape(1, 7, H) @ T(p + "self_attention/linear_1/weight").T + T(p + "self_attention/linear_1/bias")
    y = x + a
    h = Fn.layer_norm(y, (H,), T(p + "ffn/layer_norm/gamma"), T(p + "ffn/layer_norm/beta"), 1e-5)
    y = y + Fn.gelu(h @ T(p + "ffn/linear_0/weight").T + T(p + "ffn/linear_0/bias")) @ T(p + "ffn/linear_1/weight").T \
        + T(p + "ffn/linear_1/bias")
    with torch.no_grad():
        out = layer(x)
        out = out[0] if isinstance(out, tuple) else out
    torch.testing.assert_close(out, y, atol=1e-5, rtol=1e-5)


def test_rebuild_args_drop_run_control():
    import distill_default_model as d
    assert d.rebuild_args(["--ckpt-name", "v2", "--stop-at", "13:00", "--max-steps", "800", "--stop-step=5"]) == \
        ["--ckpt-name", "v2", "--max-steps", "800"]


def test_run_config_changes_with_schedule_not_with_run_control():
    import distill_default_model as d
    a = d.run_config(d.parse_args([]))
    assert a == d.run_config(d.parse_args(["--stop-at", "12:00", "--val-every", "7", "--threads", "2"]))
    assert a != d.run_config(d.parse_args(["--max-steps", "5"]))


def test_run_config_keeps_older_runs_without_stage_two():
    import distill_default_model as d
    plain = d.run_config(d.parse_args([]))
    assert "ls_ctc_min_logprob" not in plain["args"]
    assert plain != d.run_config(d.parse_args(["--ls-ctc-min-logprob", "-0.4"]))


def test_label_librispeech_keeps_confident_plausible_transcripts(tmp_path):
    """Stage 2 from cached teacher transcripts (no teacher run): confident transcripts at a
    speaking rate of 4-25 characters a second become CTC targets; the rest are left out."""
    import json
    import argparse
    import distill_default_model as d
    import train_default_model as tdm
    lens = [16000 * 2, 16000 * 2, 16000 * 2, 16000 * 2]
    audio = np.zeros(sum(lens), np.int16)
    offs = np.concatenate([[0], np.cumsum(lens)])
    ids = ["ls/a#0", "ls/b#0", "ls/c#0", "ls/d#0"]
    pool = tdm.Pool(audio, offs, [""] * 4, ids, [{"spk": "ls1"}] * 4)
    (tmp_path / "data").mkdir()
    cached = {"ls/a#0": {"raw": "Hello there, world.", "norm": "HELLO THERE WORLD", "logprob": -0.2},
              "ls/b#0": {"raw": "Mumble", "norm": "MUMBLE", "logprob": -1.3},           # not confident
              "ls/c#0": {"raw": "", "norm": "", "logprob": -0.1},                      # empty
              "ls/d#0": {"raw": "x" * 80, "norm": "X" * 80, "logprob": -0.1}}          # 40 chars/s: a hallucination
    (tmp_path / "data" / "librispeech_teacher_transcripts_v1.json").write_text(json.dumps(cached))
    args = argparse.Namespace(ls_ctc_min_logprob=-0.5, threads=1)
    out = d.label_librispeech(args, tmp_path, pool, lambda _msg: None)
    assert out.ids == ["ls/a#0"] and out.texts == ["HELLO THERE WORLD"]
    assert len(out.get(0)) == lens[0]


def test_targets_of_another_plan_go_beside_not_over(tmp_path):
    import distill_default_model as d
    assert d.targets_dir(tmp_path, "aaaa") == tmp_path / "targets"
    (tmp_path / "targets").mkdir()
    (tmp_path / "targets" / "progress.json").write_text(json.dumps({"key": "aaaa", "windows_done": 20}))
    assert d.targets_dir(tmp_path, "aaaa") == tmp_path / "targets"
    assert d.targets_dir(tmp_path, "bbbb") == tmp_path / "targets" / "bbbb"


def test_reserved_head_speakers_stay_apart_from_validation_and_held_out():
    import distill_default_model as d
    doc = json.loads(d.HEAD_SPEAKERS_FILE.read_text())
    heldout = set(json.loads((Path(__file__).resolve().parent / "heldout_speakers.json").read_text())["speakers"])
    val = set(doc["validation_speakers_excluded"])
    reserved = set(doc["speakers"])
    assert len(reserved) == 52 and not reserved & heldout and not reserved & val
    train = reserved | {"9999"}
    assert d.reserved_head_speakers(train, val, heldout) == reserved
    with pytest.raises(SystemExit):
        d.reserved_head_speakers(train, val | {sorted(reserved)[0]}, heldout)
    plain = d.run_config(d.parse_args([]))
    assert "reserve_head_speakers" not in plain["args"]
    assert d.run_config(d.parse_args(["--reserve-head-speakers"]))["args"]["reserve_head_speakers"] is True
