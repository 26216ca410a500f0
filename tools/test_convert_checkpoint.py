"""Tests for tools/convert_checkpoint.py (tools only; run with `python -m pytest tools`)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("safetensors")
transformers = pytest.importorskip("transformers")

sys.path.insert(0, str(Path(__file__).resolve().parent))
import convert_checkpoint  # noqa: E402

from safetensors import safe_open  # noqa: E402
from safetensors.torch import load_file  # noqa: E402

SCRIPT = Path(__file__).resolve().parent / "convert_checkpoint.py"


def tiny_ctc_model():
    torch.manual_seed(0)
    cfg = transformers.Wav2Vec2Config(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
        conv_dim=(32,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4,
        vocab_size=32, pad_token_id=0)
    return transformers.Wav2Vec2ForCTC(cfg).eval()


@pytest.fixture()
def bin_checkpoint(tmp_path):
    model = tiny_ctc_model()
    src = tmp_path / "src"
    # transformers >= 5 ignores safe_serialization=False and always writes
    # model.safetensors; write the legacy pytorch_model.bin the way 4.x did.
    model.save_pretrained(str(src), safe_serialization=False)
    if not (src / "pytorch_model.bin").is_file():
        torch.save(model.state_dict(), src / "pytorch_model.bin")
    (src / "model.safetensors").unlink(missing_ok=True)
    (src / "vocab.json").write_text(json.dumps({"<pad>": 0, "|": 1}))
    (src / "preprocessor_config.json").write_text(json.dumps({"sampling_rate": 16000}))
    return model, src


def reference_state(src):
    return torch.load(str(src / "pytorch_model.bin"), map_location="cpu", weights_only=True)


def test_convert_into_out_dir_roundtrip(bin_checkpoint, tmp_path):
    model, src = bin_checkpoint
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, str(SCRIPT), str(src), "--out", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    target = out / "model.safetensors"
    converted = load_file(str(target))
    ref = reference_state(src)
    assert set(converted) == set(ref)
    for k, v in ref.items():
        assert converted[k].dtype == v.dtype, k
        assert torch.equal(converted[k], v), k
    with safe_open(str(target), "pt") as f:
        assert f.metadata() == {"format": "pt"}
    for name in ("config.json", "vocab.json", "preprocessor_config.json"):
        assert (out / name).read_bytes() == (src / name).read_bytes()
    # the converted directory loads in transformers and gives the same outputs
    reloaded = transformers.Wav2Vec2ForCTC.from_pretrained(str(out), local_files_only=True).eval()
    x = torch.randn(1, 8000, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        assert torch.allclose(model(x).logits, reloaded(x).logits, atol=1e-6)


def test_convert_in_place_from_bin_path_float16(bin_checkpoint):
    _, src = bin_checkpoint
    target = convert_checkpoint.convert(src / "pytorch_model.bin", dtype="float16")
    assert target == src / "model.safetensors"
    converted = load_file(str(target))
    for k, v in reference_state(src).items():
        if v.is_floating_point():
            assert converted[k].dtype == torch.float16, k
            assert torch.equal(converted[k], v.to(torch.float16)), k
        else:
            assert torch.equal(converted[k], v), k


def test_shared_storage_is_broken(tmp_path):
    w = torch.randn(4, 4)
    state = {"a.weight": w, "b.weight": w, "c.view": w[:, 1]}  # tied + non-contiguous view
    torch.save(state, tmp_path / "pytorch_model.bin")
    target = convert_checkpoint.convert(tmp_path)
    converted = load_file(str(target))
    assert torch.equal(converted["a.weight"], w) and torch.equal(converted["b.weight"], w)
    assert torch.equal(converted["c.view"], w[:, 1])


def test_missing_file_errors(tmp_path):
    with pytest.raises(convert_checkpoint.ConversionError, match="pytorch_model.bin: missing"):
        convert_checkpoint.convert(tmp_path)
    with pytest.raises(convert_checkpoint.ConversionError, match="no such file"):
        convert_checkpoint.convert(tmp_path / "nope.bin")
    proc = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "absent")],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert "error:" in proc.stderr and "absent" in proc.stderr


def test_not_a_checkpoint(tmp_path):
    bad = tmp_path / "pytorch_model.bin"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(convert_checkpoint.ConversionError, match="cannot load"):
        convert_checkpoint.convert(bad)
