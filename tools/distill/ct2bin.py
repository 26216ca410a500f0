"""Reader for CTranslate2's model.bin (binary version <= 6), pure numpy.

Layout (ctranslate2/specs/model_spec.py, ModelSpec._serialize), little endian:
  u32 binary_version; string spec_name; u32 revision; u32 n_variables;
  n_variables x { string name; u8 rank; rank x u32 dim; u8 dtype_id; u32 n_bytes; raw }
  u32 n_aliases; n_aliases x { string alias; string target }
where string = u16 length (incl. trailing NUL) + bytes + NUL, and dtype_id indexes
("float32", "int8", "int16", "int32", "float16", "bfloat16").
"""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")


def _np_dtype(name: str):
    return np.uint16 if name == "bfloat16" else np.dtype(name)


def bf16_to_f32(a: np.ndarray) -> np.ndarray:
    return (a.astype(np.uint32) << 16).view(np.float32)


class _Reader:
    def __init__(self, buf):
        self.buf, self.pos = buf, 0

    def take(self, fmt: str):
        v = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return v[0] if len(v) == 1 else v

    def string(self) -> str:
        n = self.take("H")
        s = bytes(self.buf[self.pos:self.pos + n - 1]).decode("utf-8")
        self.pos += n
        return s


def read_ct2_model(path, float32: bool = True) -> dict:
    """{"version", "spec", "revision", "variables": {name: ndarray}, "aliases": {alias: name}}.
    With float32=True, float16/bfloat16 variables come back as float32."""
    buf = memoryview(Path(path).read_bytes())
    r = _Reader(buf)
    version = r.take("I")
    if version > 6:
        raise ValueError(f"unsupported CTranslate2 binary version {version}")
    spec = r.string() if version >= 2 else ""
    revision = r.take("I") if version >= 3 else 1
    n = r.take("I")
    variables = {}
    for _ in range(n):
        name = r.string()
        rank = r.take("B")
        shape = tuple(r.take("I") for _ in range(rank))
        if version >= 4:
            dt = DTYPES[r.take("B")]
            nbytes = r.take("I")
        else:
            width = r.take("B")
            nbytes = r.take("I") * width
            dt = {4: "float32", 1: "int8", 2: "int16"}[width]
        a = np.frombuffer(buf, dtype=_np_dtype(dt), count=nbytes // np.dtype(_np_dtype(dt)).itemsize,
                          offset=r.pos).reshape(shape)
        r.pos += nbytes
        if float32 and dt == "float16":
            a = a.astype(np.float32)
        elif float32 and dt == "bfloat16":
            a = bf16_to_f32(a)
        variables[name] = a
    aliases = {}
    if version >= 5 and r.pos < len(buf):
        for _ in range(r.take("I")):
            alias = r.string()
            aliases[alias] = r.string()
    for alias, target in aliases.items():
        if target in variables:
            variables.setdefault(alias, variables[target])
    return {"version": version, "spec": spec, "revision": revision,
            "variables": variables, "aliases": aliases}


def write_ct2_model(path, spec: str, variables: dict, aliases: dict | None = None, revision: int = 1):
    """Writer for the same layout (used by the tests to build tiny synthetic files)."""
    def s(x: str) -> bytes:
        b = x.encode("utf-8")
        return struct.pack("<H", len(b) + 1) + b + b"\0"
    out = [struct.pack("<I", 6), s(spec), struct.pack("<I", revision), struct.pack("<I", len(variables))]
    for name, a in variables.items():
        a = np.asarray(a)  # (ascontiguousarray would make 0-d arrays 1-d)
        out += [s(name), struct.pack("<B", a.ndim), b"".join(struct.pack("<I", d) for d in a.shape),
                struct.pack("<B", DTYPES.index(str(a.dtype))), struct.pack("<I", a.nbytes), a.tobytes()]
    aliases = aliases or {}
    out.append(struct.pack("<I", len(aliases)))
    for k, v in aliases.items():
        out += [s(k), s(v)]
    Path(path).write_bytes(b"".join(out))
