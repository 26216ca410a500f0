#!/usr/bin/env python3
"""Build tiny random Wav2Vec2-family checkpoints and their reference outputs.

Tools-only script (never used at run time). It constructs small models from
configs with Hugging Face transformers on CPU (nothing is downloaded), re-draws
every parameter so that the outputs are O(1) and not near-trivial, runs them on
deterministic synthetic speech-like audio and writes one fixture directory per
variant:

    <out>/<name>/config.json                 model.save_pretrained(...)
    <out>/<name>/model.safetensors           (safe_serialization=True)
    <out>/<name>/preprocessor_config.json    Wav2Vec2FeatureExtractor.save_pretrained
    <out>/<name>/vocab.json                  CTC models only (wav2vec2-base-960h layout)
    <out>/<name>/expected.safetensors        float32 reference tensors:
        audio             [N]       raw audio in [-1, 1]
        input_values      [N]       feature-extractor output (normalised if do_normalize)
        extract_features  [T, C]    conv feature encoder output, time-major,
                                    BEFORE the feature projection's layer norm
        hidden_states     [L+1, T, H]  torch.stack(outputs.hidden_states)
        last_hidden_state [T, H]    base model's last_hidden_state (differs from
                                    hidden_states[-1] for stable-layer-norm encoders)
        logits            [T, V]    CTC models only
    <out>/manifest.json

Usage: python tools/make_fixtures.py [--out DIR]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import torch
import transformers
from safetensors import safe_open
from safetensors.numpy import load_file as np_load_file
from safetensors.numpy import save_file as np_save_file
from transformers import (
    Data2VecAudioConfig,
    Data2VecAudioForCTC,
    HubertConfig,
    HubertForCTC,
    HubertModel,
    Wav2Vec2Config,
    Wav2Vec2FeatureExtractor,
    Wav2Vec2ForCTC,
    Wav2Vec2Model,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "Tests" / "ProscoreModelsTests" / "Fixtures" / "encoders"
SAMPLE_RATE = 16000

# wav2vec2-base-960h vocabulary layout.
VOCAB = {
    "<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3, "|": 4, "E": 5, "T": 6, "A": 7, "O": 8,
    "N": 9, "I": 10, "H": 11, "S": 12, "R": 13, "D": 14, "L": 15, "U": 16, "M": 17,
    "W": 18, "C": 19, "F": 20, "G": 21, "Y": 22, "P": 23, "B": 24, "V": 25, "K": 26,
    "'": 27, "X": 28, "J": 29, "Q": 30, "Z": 31,
}

CONV_STRIDE = (5, 2, 2, 2, 2, 2, 2)
CONV_KERNEL = (10, 3, 3, 3, 3, 2, 2)
EVEN_CONV_DIM = (32,) * 7
UNEVEN_CONV_DIM = (16, 24, 24, 32, 32, 32, 40)

COMMON = dict(
    conv_stride=CONV_STRIDE,
    conv_kernel=CONV_KERNEL,
    hidden_size=32,
    num_hidden_layers=3,
    num_attention_heads=4,
    intermediate_size=64,
    num_conv_pos_embedding_groups=4,
    hidden_dropout=0.0,
    activation_dropout=0.0,
    attention_dropout=0.0,
    feat_proj_dropout=0.0,
    final_dropout=0.0,
    layerdrop=0.0,
    mask_time_prob=0.0,
    mask_feature_prob=0.0,
    vocab_size=len(VOCAB),
    pad_token_id=0,
    bos_token_id=1,
    eos_token_id=2,
)

# name, model class, config class, config overrides, do_normalize, num samples.
# mask_time_prob 0.05 (the real checkpoints' value) on three fixtures only makes the
# model own a `masked_spec_embed` tensor, as real checkpoints do; masking only
# happens in training mode, so it has no effect on the outputs here.
VARIANTS = [
    dict(name="wav2vec2-base-ctc", cls=Wav2Vec2ForCTC, cfg_cls=Wav2Vec2Config,
         cfg=dict(mask_time_prob=0.05, feat_extract_norm="group", do_stable_layer_norm=False, conv_bias=False,
                  conv_dim=EVEN_CONV_DIM, num_conv_pos_embeddings=16),
         do_normalize=True, samples=16000, legacy_weight_norm=False),
    dict(name="wav2vec2-large-layernorm", cls=Wav2Vec2Model, cfg_cls=Wav2Vec2Config,
         cfg=dict(feat_extract_norm="layer", do_stable_layer_norm=True, conv_bias=True,
                  conv_dim=UNEVEN_CONV_DIM, num_conv_pos_embeddings=16),
         do_normalize=True, samples=20417, legacy_weight_norm=True),
    dict(name="hubert-base", cls=HubertModel, cfg_cls=HubertConfig,
         cfg=dict(feat_extract_norm="group", do_stable_layer_norm=False, conv_bias=False,
                  conv_dim=EVEN_CONV_DIM, num_conv_pos_embeddings=16),
         do_normalize=False, samples=24001, legacy_weight_norm=False),
    dict(name="hubert-large-ctc", cls=HubertForCTC, cfg_cls=HubertConfig,
         cfg=dict(mask_time_prob=0.05, feat_extract_norm="layer", do_stable_layer_norm=True, conv_bias=True,
                  conv_dim=EVEN_CONV_DIM, num_conv_pos_embeddings=16),
         do_normalize=True, samples=17999, legacy_weight_norm=False),
    dict(name="data2vec-audio-ctc", cls=Data2VecAudioForCTC, cfg_cls=Data2VecAudioConfig,
         # data2vec-audio: conv stack always uses layer norm, encoder is post-norm;
         # num_conv_pos_embeddings is the NUMBER of positional conv layers there.
         cfg=dict(mask_time_prob=0.05, conv_bias=True, conv_dim=EVEN_CONV_DIM, conv_pos_kernel_size=5,
                  num_conv_pos_embeddings=2),
         do_normalize=True, samples=22051, legacy_weight_norm=False),
    dict(name="wav2vec2-layer-postnorm-ctc", cls=Wav2Vec2ForCTC, cfg_cls=Wav2Vec2Config,
         cfg=dict(feat_extract_norm="layer", do_stable_layer_norm=False, conv_bias=True,
                  conv_dim=EVEN_CONV_DIM, num_conv_pos_embeddings=16),
         do_normalize=False, samples=25333, legacy_weight_norm=False),
]


# ----------------------------------------------------------------------------- audio

def synth_speech(num_samples: int, rng: np.random.Generator, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Speech-like signal: harmonics of a slowly varying f0 (100-250 Hz), a
    syllable-rate (~4 Hz) amplitude envelope with short pauses, a little noise;
    peak normalised to about 0.5."""
    t = np.arange(num_samples, dtype=np.float64) / sr
    f0_mid = rng.uniform(130.0, 190.0)
    f0 = f0_mid + 45.0 * np.sin(2 * np.pi * rng.uniform(0.3, 0.8) * t + rng.uniform(0, 2 * np.pi)) \
        + 15.0 * np.sin(2 * np.pi * rng.uniform(1.5, 3.0) * t)
    f0 = np.clip(f0, 100.0, 250.0)
    phase = 2 * np.pi * np.cumsum(f0) / sr
    sig = np.zeros(num_samples)
    # a crude formant-ish spectral tilt with a couple of random emphasised harmonics
    for k in range(1, 9):
        amp = (1.0 / k) * (1.0 + 0.8 * rng.random())
        sig += amp * np.sin(k * phase + rng.uniform(0, 2 * np.pi))
    syl_rate = rng.uniform(3.5, 5.0)
    env = np.clip(np.sin(2 * np.pi * syl_rate * t + rng.uniform(0, 2 * np.pi)), 0.0, None) ** 0.7
    env *= 0.6 + 0.4 * np.sin(2 * np.pi * 0.7 * t + rng.uniform(0, 2 * np.pi)) ** 2
    sig = sig * env + 0.02 * rng.standard_normal(num_samples)
    sig = 0.5 * sig / np.max(np.abs(sig))
    return sig.astype(np.float32)


# ----------------------------------------------------------------------------- weights

@torch.no_grad()
def redraw_parameters(model: torch.nn.Module, gen: torch.Generator) -> None:
    """Re-draw every parameter so that activations are O(1).

    matrices / conv kernels: N(0, 1/sqrt(fan_in)), fan_in = prod(shape[1:]);
    LayerNorm / GroupNorm weight: 1 + 0.1 N(0,1); biases: 0.1 N(0,1);
    weight-norm g: |N(1, 0.1)| * ||v|| (so the effective kernel is v scaled by ~1);
    masked_spec_embed: U(0, 1).
    """
    def normal(shape, std=1.0, mean=0.0):
        return torch.randn(shape, generator=gen) * std + mean

    done = set()
    for module in model.modules():
        # weight-normed conv (new "parametrizations" API)
        if hasattr(module, "parametrizations") and "weight" in getattr(module, "parametrizations", {}):
            plist = module.parametrizations.weight
            g, v = plist.original0, plist.original1
            fan_in = math.prod(v.shape[1:])
            v.copy_(normal(v.shape, 1.0 / math.sqrt(fan_in)))
            dim = plist[0].dim if hasattr(plist[0], "dim") else 2
            red = [d for d in range(v.dim()) if d != dim]
            v_norm = v.norm(dim=red, keepdim=True)
            g.copy_(normal(g.shape, 0.1, 1.0).abs() * v_norm)
            done.update({id(g), id(v)})
            if module.bias is not None:
                module.bias.copy_(normal(module.bias.shape, 0.1))
                done.add(id(module.bias))
            continue
        # legacy weight_norm hooks (older torch)
        if hasattr(module, "weight_g") and hasattr(module, "weight_v"):
            g, v = module.weight_g, module.weight_v
            fan_in = math.prod(v.shape[1:])
            v.copy_(normal(v.shape, 1.0 / math.sqrt(fan_in)))
            red = [d for d in range(v.dim()) if g.shape[d] == 1]
            g.copy_(normal(g.shape, 0.1, 1.0).abs() * v.norm(dim=red, keepdim=True))
            done.update({id(g), id(v)})
            if module.bias is not None:
                module.bias.copy_(normal(module.bias.shape, 0.1))
                done.add(id(module.bias))
            continue
        is_norm = isinstance(module, (torch.nn.LayerNorm, torch.nn.GroupNorm, torch.nn.BatchNorm1d))
        for pname, p in module.named_parameters(recurse=False):
            if id(p) in done:
                continue
            done.add(id(p))
            if pname == "bias":
                p.copy_(normal(p.shape, 0.1))
            elif is_norm and pname == "weight":
                p.copy_(normal(p.shape, 0.1, 1.0))
            elif pname == "masked_spec_embed":
                p.copy_(torch.rand(p.shape, generator=gen))
            elif p.dim() >= 2:
                p.copy_(normal(p.shape, 1.0 / math.sqrt(math.prod(p.shape[1:]))))
            else:
                raise RuntimeError(f"unhandled 1-D parameter {type(module).__name__}.{pname} {tuple(p.shape)}")
    missing = [n for n, p in model.named_parameters() if id(p) not in done]
    if missing:
        raise RuntimeError(f"parameters not re-drawn: {missing}")


# ----------------------------------------------------------------------------- helpers

def base_model(model: torch.nn.Module) -> torch.nn.Module:
    prefix = getattr(model, "base_model_prefix", "")
    return getattr(model, prefix, model) if prefix else model


def num_frames(n: int) -> int:
    for k, s in zip(CONV_KERNEL, CONV_STRIDE):
        n = (n - k) // s + 1
    return n


def weight_norm_spelling(keys) -> str:
    if any(k.endswith("parametrizations.weight.original0") for k in keys):
        return "parametrizations.weight.original0/original1"
    if any(k.endswith("weight_g") for k in keys):
        return "weight_g/weight_v"
    return "none"


def rewrite_legacy_weight_norm(path: Path) -> list[tuple[str, str]]:
    """Rename parametrizations.weight.original0/1 -> weight_g/weight_v (same tensors)."""
    with safe_open(str(path), "np") as f:
        metadata = f.metadata()
    tensors = np_load_file(str(path))
    renamed, out = [], {}
    for k, v in tensors.items():
        nk = k.replace("parametrizations.weight.original0", "weight_g").replace(
            "parametrizations.weight.original1", "weight_v")
        if nk != k:
            renamed.append((k, nk))
        out[nk] = np.ascontiguousarray(v)
    np_save_file(out, str(path), metadata=metadata)
    return renamed


@torch.no_grad()
def calibrate_ctc_head(model: torch.nn.Module, x: torch.Tensor, gen: torch.Generator,
                       target_std: float = 3.0, min_margin: float = 0.02, tries: int = 100) -> None:
    """Make greedy CTC decoding of the fixture informative and robust.

    With random weights the encoder output has a large time-constant component,
    so argmax picks one or two ids everywhere. Re-draw the head (seeded) as
    W ~ N(0, 1/sqrt(H)) scaled so the centred logits have std ~3, bias =
    0.1 N(0,1) - W @ mean_t(h) (centres the logits over time for this audio),
    push <s>, </s>, <unk> (ids 1-3) down by 10 and raise the blank (<pad>, id 0)
    bias so that about 40% of frames are blank (halfway between two sorted
    margins). Redraw until every frame's top-2 logit margin is >= min_margin, so
    an fp32 reimplementation cannot flip an argmax.
    """
    h = base_model(model)(x).last_hidden_state[0]
    V, H = model.lm_head.weight.shape
    for _ in range(tries):
        W = torch.randn(V, H, generator=gen) / math.sqrt(H)
        c = (h - h.mean(0)) @ W.T
        W = W * (target_std / float(c.std()))
        bias = 0.1 * torch.randn(V, generator=gen) - W @ h.mean(0)
        bias[1:4] -= 10.0
        logits = h @ W.T + bias
        margin = (logits[:, 1:].max(-1).values - logits[:, 0]).sort().values
        k = int(0.4 * len(margin))
        bias[0] += 0.5 * (margin[k - 1] + margin[k])
        logits = h @ W.T + bias
        top2 = logits.topk(2, dim=-1).values
        if float((top2[:, 0] - top2[:, 1]).min()) >= min_margin:
            model.lm_head.weight.copy_(W)
            model.lm_head.bias.copy_(bias)
            return
    raise RuntimeError("could not draw a CTC head with clear argmax margins")


def f32(t) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        t = t.detach().cpu().numpy()
    return np.ascontiguousarray(np.asarray(t, dtype=np.float32))


# ----------------------------------------------------------------------------- main

def build_fixture(index: int, spec: dict, out_root: Path) -> dict:
    name = spec["name"]
    fdir = out_root / name
    if fdir.exists():
        shutil.rmtree(fdir)
    fdir.mkdir(parents=True)

    seed = 1000 + index
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)

    cfg = spec["cfg_cls"](**{**COMMON, **spec["cfg"]})
    model = spec["cls"](cfg)
    redraw_parameters(model, gen)
    model.eval()
    has_ctc = hasattr(model, "lm_head")

    layer_norm_convs = spec["cfg"].get("feat_extract_norm", "layer") == "layer"
    fe = Wav2Vec2FeatureExtractor(
        feature_size=1, sampling_rate=SAMPLE_RATE, padding_value=0.0,
        do_normalize=spec["do_normalize"], return_attention_mask=layer_norm_convs)

    audio = synth_speech(spec["samples"], rng)
    input_values = fe(audio, sampling_rate=SAMPLE_RATE, return_tensors="np").input_values[0].astype(np.float32)
    x = torch.from_numpy(input_values)[None]

    if has_ctc:
        calibrate_ctc_head(model, x, gen)

    with torch.inference_mode():
        base = base_model(model)
        extract = base.feature_extractor(x).transpose(1, 2)[0]
        outputs = model(x, output_hidden_states=True)
        hidden = torch.stack(outputs.hidden_states)[:, 0]
        last = base(x).last_hidden_state[0]
        logits = outputs.logits[0] if has_ctc else None
        # precision reference: same weights in float64
        m64 = spec["cls"](cfg)
        m64.load_state_dict(model.state_dict())
        m64 = m64.double().eval()
        o64 = m64(x.double(), output_hidden_states=True)
        fp_diff = float((torch.stack(o64.hidden_states)[:, 0] - hidden.double()).abs().max())

    T = num_frames(spec["samples"])
    assert extract.shape[0] == T and hidden.shape[1] == T, (extract.shape, hidden.shape, T)

    model.save_pretrained(str(fdir), safe_serialization=True)
    fe.save_pretrained(str(fdir))
    if has_ctc:
        with open(fdir / "vocab.json", "w") as f:
            json.dump(VOCAB, f, ensure_ascii=False)

    renamed = []
    if spec["legacy_weight_norm"]:
        renamed = rewrite_legacy_weight_norm(fdir / "model.safetensors")
        assert renamed, "no weight-norm keys found to rename"

    expected = {
        "audio": f32(audio),
        "input_values": f32(input_values),
        "extract_features": f32(extract),
        "hidden_states": f32(hidden),
        "last_hidden_state": f32(last),
    }
    if has_ctc:
        expected["logits"] = f32(logits)
    exp_path = fdir / "expected.safetensors"
    np_save_file(expected, str(exp_path), metadata={
        # one key only: safetensors writes metadata from a hash map, so several keys
        # would come out in a random order and the file would not be byte-stable
        "generator": f"tools/make_fixtures.py (torch {torch.__version__}, "
                     f"transformers {transformers.__version__})"})

    for p in fdir.iterdir():
        p.chmod(0o644)

    # ---- report
    print(f"\n=== {name}  ({type(model).__name__}, seed {seed})")
    print(f"  samples {spec['samples']}  frames {T}  audio peak {np.abs(audio).max():.3f}")
    print(f"  extract_features std {extract.std():.3f}  max|.| {extract.abs().max():.3f}")
    stds = ", ".join(f"{h.std():.3f}" for h in hidden)
    print(f"  hidden_states per-layer std: {stds}")
    print(f"  hidden_states max|.| {hidden.abs().max():.3f}   fp32 vs fp64 max diff {fp_diff:.2e}")
    ctc_info = {}
    if has_ctc:
        am = logits.argmax(-1).tolist()
        top2 = logits.topk(2, dim=-1).values
        min_margin = float((top2[:, 0] - top2[:, 1]).min())
        inv = {i: t for t, i in VOCAB.items()}
        collapsed = [a for i, a in enumerate(am) if i == 0 or a != am[i - 1]]
        text = "".join(inv[a] for a in collapsed if a != 0).replace("|", " ")
        ctc_info = dict(greedy_ids=am, greedy_text=text, blank_frames=am.count(0),
                        min_top2_logit_margin=min_margin)
        print(f"  logits std {logits.std():.3f}  distinct argmax ids {len(set(am))}  blanks {am.count(0)}/{len(am)}"
              f"  min top-2 margin {min_margin:.4f}")
        print(f"  greedy CTC text: {text!r}")
    for a, b in renamed:
        print(f"  renamed {a} -> {b}")
    with safe_open(str(fdir / "model.safetensors"), "np") as f:
        keys = list(f.keys())
        print(f"  model.safetensors ({len(keys)} tensors, metadata {f.metadata()}):")
        for k in keys:
            print(f"    {k:70s} {list(f.get_slice(k).get_shape())}")

    for i, h in enumerate(hidden):
        if not (0.05 < float(h.std()) < 50.0):
            raise RuntimeError(f"{name}: hidden_states[{i}] std {float(h.std())} looks degenerate")
        # not constant across time
        if float(h.std(dim=0).mean()) < 1e-3:
            raise RuntimeError(f"{name}: hidden_states[{i}] nearly constant over time")

    return dict(
        name=name,
        class_name=type(model).__name__,
        model_type=cfg.model_type,
        feat_extract_norm=getattr(cfg, "feat_extract_norm", "layer"),
        feat_extract_norm_in_config=hasattr(cfg, "feat_extract_norm"),
        do_stable_layer_norm=getattr(cfg, "do_stable_layer_norm", False),
        do_stable_layer_norm_in_config=hasattr(cfg, "do_stable_layer_norm"),
        conv_bias=cfg.conv_bias,
        conv_dim=list(cfg.conv_dim),
        do_normalize=spec["do_normalize"],
        return_attention_mask=layer_norm_convs,
        has_ctc=has_ctc,
        has_masked_spec_embed=any(k.endswith("masked_spec_embed") for k in keys),
        weight_norm_keys=weight_norm_spelling(keys),
        num_samples=spec["samples"],
        num_frames=T,
        num_hidden_layers=cfg.num_hidden_layers,
        hidden_size=cfg.hidden_size,
        expected_tensors={k: list(v.shape) for k, v in expected.items()},
        hidden_states_max_abs=float(hidden.abs().max()),
        ctc=ctc_info or None,
        fp32_vs_fp64_hidden_max_abs_diff=fp_diff,
        seed=seed,
        torch_version=torch.__version__,
        transformers_version=transformers.__version__,
    )


def verify(out_root: Path, entries: list[dict]) -> None:
    """Re-read everything with safetensors; reload each model dir with
    transformers (local path only) and check it reproduces hidden_states."""
    print("\n=== verification")
    for e in entries:
        fdir = out_root / e["name"]
        exp = np_load_file(str(fdir / "expected.safetensors"))
        for k, shape in e["expected_tensors"].items():
            a = exp[k]
            assert a.dtype == np.float32 and list(a.shape) == shape and a.flags["C_CONTIGUOUS"], k
            assert np.isfinite(a).all(), k
        weights = np_load_file(str(fdir / "model.safetensors"))
        assert all(np.isfinite(v).all() for v in weights.values())
        cls = getattr(transformers, e["class_name"])
        model = cls.from_pretrained(str(fdir), local_files_only=True).eval()
        with torch.inference_mode():
            out = model(torch.from_numpy(exp["input_values"])[None], output_hidden_states=True)
            hs = torch.stack(out.hidden_states)[:, 0].numpy()
        diff = float(np.abs(hs - exp["hidden_states"]).max())
        assert diff < 1e-5, f"{e['name']}: reloaded model differs by {diff}"
        if e["has_ctc"]:
            ld = float(np.abs(out.logits[0].numpy() - exp["logits"]).max())
            assert ld < 1e-5, f"{e['name']}: reloaded logits differ by {ld}"
        print(f"  {e['name']:30s} ok (reload diff {diff:.1e}, {len(weights)} weight tensors, "
              f"weight norm: {e['weight_norm_keys']})")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output directory (default {DEFAULT_OUT})")
    args = ap.parse_args(argv)
    out_root = args.out.resolve()
    out_root.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)  # bitwise-stable outputs across runs

    entries = [build_fixture(i, spec, out_root) for i, spec in enumerate(VARIANTS)]
    manifest = dict(
        generator="tools/make_fixtures.py",
        torch_version=torch.__version__,
        transformers_version=transformers.__version__,
        sample_rate=SAMPLE_RATE,
        conv_stride=list(CONV_STRIDE),
        conv_kernel=list(CONV_KERNEL),
        notes=[
            "extract_features = conv feature encoder output (time-major), before feature_projection.layer_norm.",
            "hidden_states[0] = input of encoder layer 0: post-norm encoders (do_stable_layer_norm false, "
            "data2vec-audio) apply encoder.layer_norm(x + pos_conv(x)) before layer 0, so it is normalised; "
            "stable-layer-norm encoders pass x + pos_conv(x) un-normalised.",
            "hidden_states[-1] = output of the last encoder layer. For stable-layer-norm encoders "
            "(transformers >= 5) it is BEFORE the final encoder.layer_norm; last_hidden_state (and the "
            "CTC logits) are after it. For post-norm encoders hidden_states[-1] == last_hidden_state.",
            "data2vec-audio configs carry no feat_extract_norm/do_stable_layer_norm: the conv stack always "
            "uses layer norm and the encoder is post-norm (values shown here are the implied ones).",
            "CTC heads: lm_head bias calibrated on the fixture audio (centred logits, ~40% blank frames) so "
            "greedy decoding is informative; ctc.greedy_ids/greedy_text are the argmax path and its collapse.",
        ],
        fixtures=entries,
    )
    with open(out_root / "manifest.json", "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")

    verify(out_root, entries)
    total = sum(p.stat().st_size for p in out_root.rglob("*") if p.is_file())
    print(f"\nwrote {len(entries)} fixtures to {out_root} ({total / 1e6:.2f} MB total)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
