#!/usr/bin/env python3
"""Convert a PyTorch `pytorch_model.bin` checkpoint to `model.safetensors`.

Tools-only script (never used at run time).

    python tools/convert_checkpoint.py MODEL_DIR_OR_BIN [--out DIR] [--dtype float32|float16]

MODEL_DIR_OR_BIN is either a Hugging Face checkpoint directory that holds
`pytorch_model.bin`, or the path of a `.bin` file. The state dict is loaded on
the CPU with `weights_only=True`; every tensor is made contiguous and cloned
(tied/shared storage is broken, which safetensors requires); floating-point
tensors are cast to float16 when asked. The result is written as
`model.safetensors` (metadata {"format": "pt"}) next to the input, or into
--out, in which case the sidecar files (config.json, preprocessor_config.json,
vocab.json, vocab.txt, tokenizer_config.json) are copied along when present.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

SIDECAR_FILES = (
    "config.json",
    "preprocessor_config.json",
    "vocab.json",
    "vocab.txt",
    "tokenizer_config.json",
)
WEIGHTS_NAME = "pytorch_model.bin"
OUTPUT_NAME = "model.safetensors"


class ConversionError(Exception):
    pass


def resolve_input(path: Path) -> tuple[Path, Path]:
    """Return (bin_file, model_dir)."""
    if not path.exists():
        raise ConversionError(f"{path}: no such file or directory")
    if path.is_dir():
        bin_file = path / WEIGHTS_NAME
        if not bin_file.is_file():
            sharded = path / "pytorch_model.bin.index.json"
            hint = ""
            if sharded.exists():
                hint = " (sharded checkpoints, pytorch_model.bin.index.json, are not supported)"
            elif (path / OUTPUT_NAME).exists():
                hint = f" ({OUTPUT_NAME} is already there: nothing to convert)"
            raise ConversionError(f"{bin_file}: missing; expected a PyTorch checkpoint in {path}{hint}")
        return bin_file, path
    return path, path.parent


def load_state_dict(bin_file: Path):
    import torch

    try:
        obj = torch.load(str(bin_file), map_location="cpu", weights_only=True)
    except Exception as exc:  # unpickling errors, truncated files, non-checkpoints
        raise ConversionError(f"{bin_file}: cannot load as a PyTorch checkpoint: {exc}") from exc
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict):
        raise ConversionError(f"{bin_file}: expected a state dict (name -> tensor), found {type(obj).__name__}")
    bad = [k for k, v in obj.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise ConversionError(f"{bin_file}: entries that are not tensors: {', '.join(map(str, bad[:5]))}")
    return obj


def prepare_tensors(state_dict, dtype: str):
    """Contiguous, non-shared copies; optional float16 cast of floating tensors."""
    import torch

    out = {}
    for name, t in state_dict.items():
        t = t.detach()
        if dtype == "float16" and t.is_floating_point():
            t = t.to(torch.float16)
        out[name] = t.contiguous().clone()
    return out


def convert(src: Path, out_dir: Path | None = None, dtype: str = "float32") -> Path:
    from safetensors.torch import save_file

    if dtype not in ("float32", "float16"):
        raise ConversionError(f"unsupported --dtype {dtype!r} (use float32 or float16)")
    bin_file, model_dir = resolve_input(src)
    tensors = prepare_tensors(load_state_dict(bin_file), dtype)
    if not tensors:
        raise ConversionError(f"{bin_file}: the checkpoint holds no tensors")

    target_dir = out_dir if out_dir is not None else model_dir
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / OUTPUT_NAME
    save_file(tensors, str(target), metadata={"format": "pt"})

    if out_dir is not None and out_dir.resolve() != model_dir.resolve():
        for name in SIDECAR_FILES:
            f = model_dir / name
            if f.is_file():
                shutil.copy2(f, target_dir / name)
    return target


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Convert pytorch_model.bin to model.safetensors.")
    ap.add_argument("model", type=Path, help="checkpoint directory holding pytorch_model.bin, or a .bin file")
    ap.add_argument("--out", type=Path, default=None,
                    help="output directory (default: next to the input); sidecar files are copied there")
    ap.add_argument("--dtype", choices=("float32", "float16"), default="float32",
                    help="float16 casts floating-point tensors (default float32: keep them as stored)")
    args = ap.parse_args(argv)
    try:
        import torch  # noqa: F401
        import safetensors  # noqa: F401
    except ImportError as exc:
        print(f"error: {exc.name} is not installed (pip install -r tools/requirements.txt)", file=sys.stderr)
        return 2
    try:
        target = convert(args.model, args.out, args.dtype)
    except ConversionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    from safetensors import safe_open

    with safe_open(str(target), "pt") as f:
        n = len(list(f.keys()))
    print(f"wrote {target} ({n} tensors, {target.stat().st_size / 1e6:.2f} MB, {args.dtype})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
