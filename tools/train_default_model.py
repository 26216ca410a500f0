#!/usr/bin/env python3
"""Train Proscore's default CTC model: a small Wav2Vec2ForCTC, from scratch.

Tools-only script (Proscore never runs Python). It

  1. picks the held-out speakers of speechocean762 (fixed seed, children and
     adults) and writes them to tools/heldout_speakers.json;
  2. caches the real training audio (speechocean762, other speakers only);
  3. writes English sentences from templates and word lists (no downloads) and
     synthesises them with espeak-ng (voices x variants, rate, pitch), flite and
     festival; two voices are held out entirely for the synthetic evaluation;
  4. trains Wav2Vec2ForCTC (character CTC, wav2vec2-base-960h vocabulary) with
     on-the-fly augmentation (gain, noise 5-30 dB SNR, synthetic reverberation,
     speed 0.9-1.1), batches ~50/50 real/synthetic, dynamic batching by audio
     length, AdamW with warm-up, fixed seeds; checkpoints (model, optimizer,
     step, RNG) every few minutes into --work-dir, so rerunning the same command
     resumes;
  5. exports a Hugging Face checkpoint directory (float16 safetensors, config,
     vocab, preprocessor config), evaluates CER/WER with greedy CTC decoding on
     the held-out speakers and held-out synthetic voices, measures the PyTorch
     CPU real-time factor on one thread, and writes eval.json and MODEL_CARD.md.

Usage:
  python tools/train_default_model.py                       # train (resumes), export, evaluate
  python tools/train_default_model.py --time-budget-minutes 80
  python tools/train_default_model.py --export-only         # export + evaluate latest checkpoint

Everything is deterministic given --seed: batch composition and augmentation of
step k are drawn from RNGs seeded with (seed, k), so a resumed run sees the
same batches as an uninterrupted one.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import shutil
import subprocess
import signal
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS = REPO_ROOT.parent / "shared" / "speechocean762"
DEFAULT_OUT = REPO_ROOT / "models" / "proscore-small-ctc"
HELDOUT_FILE = REPO_ROOT / "tools" / "heldout_speakers.json"
SR = 16000

VOCAB = {"<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3, "|": 4, "E": 5, "T": 6, "A": 7, "O": 8,
         "N": 9, "I": 10, "H": 11, "S": 12, "R": 13, "D": 14, "L": 15, "U": 16, "M": 17,
         "W": 18, "C": 19, "F": 20, "G": 21, "Y": 22, "P": 23, "B": 24, "V": 25, "K": 26,
         "'": 27, "X": 28, "J": 29, "Q": 30, "Z": 31}
ID2CHAR = {i: c for c, i in VOCAB.items()}

# ---------------------------------------------------------------- architecture
ARCH = dict(
    vocab_size=32, hidden_size=256, num_hidden_layers=6, num_attention_heads=4,
    intermediate_size=1024, hidden_act="gelu",
    conv_dim=(64, 128, 128, 128, 128, 256, 256), conv_stride=(5, 2, 2, 2, 2, 2, 2),
    conv_kernel=(10, 3, 3, 3, 3, 2, 2), conv_bias=True, feat_extract_norm="layer",
    feat_extract_activation="gelu", do_stable_layer_norm=True,
    num_conv_pos_embeddings=32, num_conv_pos_embedding_groups=16,
    hidden_dropout=0.1, activation_dropout=0.05, attention_dropout=0.1, feat_proj_dropout=0.05,
    final_dropout=0.1, layerdrop=0.0, mask_time_prob=0.03, mask_time_length=10,
    mask_feature_prob=0.0, pad_token_id=0, bos_token_id=1, eos_token_id=2,
    ctc_loss_reduction="mean", ctc_zero_infinity=True, apply_spec_augment=True,
)

# ---------------------------------------------------------------- synthetic voices
ESPEAK_TRAIN_VOICES = ["en", "en-us", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-rp",
                       "en-gb-x-gbcwmd", "en-us-nyc"]
# espeak-ng variant names are file names under espeak-ng-data/voices/!v (case-sensitive;
# an unknown name silently falls back to the plain voice).
ESPEAK_TRAIN_VARIANTS = ["", "", "", "m1", "m2", "m3", "m5", "m6", "m7", "f1", "f2", "f3",
                         "klatt", "klatt2", "klatt4", "Alicia", "Andrea", "aunty", "belinda",
                         "benjamin", "boris", "caleb", "david", "ed", "edward", "Gene",
                         "Henrique", "Hugo", "Jacky", "john", "Lee", "linda", "max",
                         "Michael", "Mike", "paul", "pedro", "quincy", "rob", "robert",
                         "steph", "Storm", "shelby", "travis", "victor", "norbert",
                         "grandma", "grandpa", "whisper"]
# Held out entirely (never in training): espeak-ng voice en-029 with variants f4/Annie,
# and flite's slt voice.
ESPEAK_HELDOUT = [("en-029", "Annie"), ("en-029", "f4")]
FLITE_TRAIN_VOICES = ["kal16", "awb", "rms"]
FLITE_HELDOUT = "slt"


# ============================================================== text
def normalize_text(s: str) -> str:
    s = s.upper().replace("’", "'")
    out = []
    for ch in s:
        if ch in VOCAB and ch not in ("<", ">") and len(ch) == 1 and ch != "|":
            out.append(ch)
        elif ch.isspace() or ch in "-,.;:!?\"()":
            out.append(" ")
    return " ".join("".join(out).split())


def encode_text(s: str) -> list[int]:
    return [VOCAB["|"] if ch == " " else VOCAB[ch] for ch in s]


def edit_distance(a, b) -> int:
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y))
        prev = cur
    return prev[-1]


NUMS = ["ZERO", "ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE"]
NAMES = ["Tom", "Anna", "Mike", "Lucy", "John", "Mary", "Peter", "Sarah", "David", "Emma", "Jack",
         "Linda", "Sam", "Kate", "Ben", "Lily", "Paul", "Grace", "Mark", "Helen", "Leo", "Amy"]
PEOPLE = ["my mother", "my father", "my sister", "my brother", "the teacher", "our friend",
          "the doctor", "the old man", "the little girl", "the boy", "my grandmother", "the driver",
          "the children", "my classmates", "the students", "her uncle", "his aunt", "the farmer",
          "the police officer", "the nurse", "my neighbour", "the baby", "the cook", "our team"]
THINGS = ["the book", "a cup of tea", "the red ball", "some bread", "the window", "a new bike",
          "the key", "an apple", "the letter", "his homework", "the map", "a small dog", "the car",
          "the phone", "a bottle of water", "the newspaper", "her bag", "the blue pen", "a cake",
          "the computer", "the photo", "a warm coat", "the ticket", "some rice", "the box",
          "a glass of milk", "the shoes", "an umbrella", "the television", "a birthday present",
          "the flowers", "the door", "a picture", "the guitar", "some oranges", "the chair"]
PLACES = ["the park", "school", "the library", "the market", "the station", "the hospital",
          "the beach", "the kitchen", "the garden", "the office", "the zoo", "the museum",
          "the river", "the city", "the village", "the shop", "the airport", "the cinema",
          "the classroom", "the farm", "the mountain", "the bank", "the restaurant", "home"]
TIMES = ["today", "yesterday", "tomorrow", "every morning", "last night", "on Sunday",
         "at nine o'clock", "after lunch", "in the evening", "next week", "this afternoon",
         "every day", "on Monday", "in the summer", "before dinner", "at the weekend", "later"]
ADJS = ["happy", "tired", "hungry", "cold", "hot", "busy", "kind", "quiet", "big", "small",
        "beautiful", "interesting", "difficult", "easy", "expensive", "cheap", "old", "young",
        "clean", "dirty", "late", "early", "bright", "dark", "funny", "careful", "strong"]
VERBS_T = [("like", "likes", "liked"), ("want", "wants", "wanted"), ("need", "needs", "needed"),
           ("see", "sees", "saw"), ("buy", "buys", "bought"), ("find", "finds", "found"),
           ("bring", "brings", "brought"), ("open", "opens", "opened"), ("clean", "cleans", "cleaned"),
           ("take", "takes", "took"), ("read", "reads", "read"), ("make", "makes", "made"),
           ("carry", "carries", "carried"), ("watch", "watches", "watched"), ("give", "gives", "gave"),
           ("keep", "keeps", "kept"), ("love", "loves", "loved"), ("forget", "forgets", "forgot")]
VERBS_I = [("walk", "walks", "walked"), ("run", "runs", "ran"), ("go", "goes", "went"),
           ("drive", "drives", "drove"), ("come", "comes", "came"), ("travel", "travels", "travelled"),
           ("swim", "swims", "swam"), ("wait", "waits", "waited"), ("sing", "sings", "sang"),
           ("work", "works", "worked"), ("play", "plays", "played"), ("sleep", "sleeps", "slept")]
EXTRA = ["Good morning, how are you?", "Thank you very much.", "Could you help me, please?",
         "I don't know the answer.", "Where is the nearest bus stop?", "What time is it now?",
         "Nice to meet you.", "I'm sorry I'm late.", "Can I have the bill, please?",
         "It's raining again.", "See you tomorrow.", "Please close the door.",
         "Let's go for a walk.", "How much does it cost?", "I can't find my keys.",
         "The weather is lovely today.", "Would you like some coffee?", "Happy birthday to you."]


def _cap(s: str) -> str:
    return s[0].upper() + s[1:]


def make_sentences(n: int, rng: random.Random, lexicon_words: list[str]) -> list[str]:
    """Everyday English from templates plus word-list sequences. Deterministic given rng."""
    c = rng.choice
    def person():
        return c([c(NAMES), c(PEOPLE)])
    templates = [
        lambda: f"{_cap(person())} {c(VERBS_T)[2]} {c(THINGS)} {c(TIMES)}.",
        lambda: f"{c(['I', 'We', 'They', 'You'])} {c(VERBS_T)[0]} {c(THINGS)}.",
        lambda: f"{_cap(person())} {c(VERBS_I)[1]} to {c(PLACES)} {c(TIMES)}.",
        lambda: f"{c(['I', 'We', 'They'])} {c(VERBS_I)[2]} to {c(PLACES)} with {person()}.",
        lambda: f"{_cap(c(THINGS))} is very {c(ADJS)}.",
        lambda: f"{_cap(person())} was {c(ADJS)} {c(TIMES)}.",
        lambda: f"Where did {person()} put {c(THINGS)}?",
        lambda: f"Can you {c(VERBS_T)[0]} {c(THINGS)} to {c(PLACES)}?",
        lambda: f"Do you want to {c(VERBS_I)[0]} to {c(PLACES)} {c(TIMES)}?",
        lambda: f"I think {person()} is {c(ADJS)} because it is {c(ADJS)}.",
        lambda: f"There is {c(['a', 'no', 'one'])} {c(THINGS).split(' ', 1)[1]} in {c(PLACES)}.",
        lambda: f"{_cap(person())} didn't {c(VERBS_T)[0]} {c(THINGS)}.",
        lambda: f"We're going to {c(PLACES)} {c(TIMES)}, aren't we?",
        lambda: f"{_cap(person())} has {c(NUMS[2:]).lower()} {c(['cats', 'books', 'friends', 'apples', 'brothers', 'pencils', 'cars'])}.",
        lambda: " ".join(rng.choice(NUMS) for _ in range(rng.randint(3, 7))),
        lambda: f"My phone number is {' '.join(rng.choice(NUMS) for _ in range(rng.randint(5, 8)))}.",
        lambda: c(EXTRA),
        lambda: f"{_cap(person())} said that {person()} {c(VERBS_T)[2]} {c(THINGS)}.",
        lambda: f"When I was young I {c(VERBS_I)[2]} to {c(PLACES)} {c(TIMES)}.",
        lambda: f"It's {c(ADJS)} in {c(PLACES)} {c(TIMES)}.",
        lambda: " ".join(rng.choice(lexicon_words) for _ in range(rng.randint(3, 9))),
        lambda: " ".join(rng.choice(lexicon_words) for _ in range(rng.randint(3, 9))),
    ]
    out, seen = [], set()
    tries = 0
    while len(out) < n and tries < n * 20:
        tries += 1
        s = normalize_text(rng.choice(templates)())
        if s and s not in seen:
            seen.add(s)
            out.append(s)
    return out


# ============================================================== corpus
def read_kaldi(path: Path) -> dict[str, str]:
    d = {}
    for line in path.read_text().splitlines():
        parts = line.strip().split(None, 1)
        if len(parts) == 2:
            d[parts[0]] = parts[1].strip()
    return d


def choose_heldout(seed: int, n_children: int = 6, n_adults: int = 8) -> dict:
    tr = CORPUS / "train"
    ages = {k: int(v) for k, v in read_kaldi(tr / "spk2age").items()}
    genders = read_kaldi(tr / "spk2gender")
    children = sorted(s for s, a in ages.items() if a <= 12)
    adults = sorted(s for s, a in ages.items() if a > 12)
    rng = random.Random(seed)
    ch = sorted(rng.sample(children, n_children))
    ad = sorted(rng.sample(adults, n_adults))
    return {
        "description": "speechocean762 train-split speakers held out from all training of "
                       "the default model (tools/train_default_model.py); reuse for "
                       "cross-validation. Children: age <= 12 (spk2age).",
        "seed": seed, "children": ch, "adults": ad, "speakers": sorted(ch + ad),
        "ages": {s: ages[s] for s in sorted(ch + ad)},
        "genders": {s: genders.get(s, "?") for s in sorted(ch + ad)},
    }


def load_flac(path: Path) -> np.ndarray:
    import soundfile as sf
    x, sr = sf.read(str(path), dtype="int16", always_2d=True)
    assert sr == SR, (path, sr)
    return x[:, 0].copy()


def pack(arrs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    offs = np.zeros(len(arrs) + 1, dtype=np.int64)
    offs[1:] = np.cumsum([len(a) for a in arrs])
    return (np.concatenate(arrs) if arrs else np.zeros(0, np.int16)), offs


class Pool:
    """Packed int16 audio + texts."""
    def __init__(self, audio, offs, texts, ids, meta=None):
        self.audio, self.offs, self.texts, self.ids = audio, offs, list(texts), list(ids)
        self.meta = meta or [{} for _ in self.ids]
        self.lens = np.diff(offs)

    def __len__(self):
        return len(self.ids)

    def get(self, i) -> np.ndarray:
        return self.audio[self.offs[i]:self.offs[i + 1]].astype(np.float32) / 32768.0

    def hours(self):
        return float(self.lens.sum()) / SR / 3600

    def save(self, path: Path):
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, audio=self.audio, offs=self.offs, texts=np.array(self.texts),
                 ids=np.array(self.ids), meta=np.array([json.dumps(m) for m in self.meta]))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path):
        z = np.load(path)
        return cls(z["audio"], z["offs"], [str(t) for t in z["texts"]], [str(t) for t in z["ids"]],
                   [json.loads(str(m)) for m in z["meta"]])


def build_real_pools(data_dir: Path, heldout: set[str]) -> tuple[Pool, Pool]:
    cache = data_dir / "real_v1.npz"
    cache_ev = data_dir / "real_heldout_v1.npz"
    key = ",".join(sorted(heldout))
    keyfile = data_dir / "real_v1.key"
    if cache.exists() and cache_ev.exists() and keyfile.exists() and keyfile.read_text() == key:
        return Pool.load(cache), Pool.load(cache_ev)
    tr = CORPUS / "train"
    wav = read_kaldi(tr / "wav.scp")
    text = read_kaldi(tr / "text")
    u2s = read_kaldi(tr / "utt2spk")
    ages = {k: int(v) for k, v in read_kaldi(tr / "spk2age").items()}
    sets = {False: ([], [], [], []), True: ([], [], [], [])}
    for utt in sorted(wav):
        a = load_flac(tr / wav[utt])
        spk = u2s[utt]
        A, T, I, M = sets[spk in heldout]
        A.append(a); T.append(normalize_text(text[utt])); I.append(utt)
        M.append({"spk": spk, "age": ages.get(spk, -1)})
    pools = []
    for h in (False, True):
        A, T, I, M = sets[h]
        au, offs = pack(A)
        pools.append(Pool(au, offs, T, I, M))
    pools[0].save(cache)
    pools[1].save(cache_ev)
    keyfile.write_text(key)
    return pools[0], pools[1]


# ============================================================== synthesis
def synth_one(job: dict, out: Path) -> bool:
    """Render job to a 16 kHz mono int16 wav at `out`. Returns success."""
    text = job["text"].lower()
    tmp = out.with_suffix(".raw.wav")
    try:
        if job["engine"] == "espeak":
            v = job["voice"] + ("+" + job["variant"] if job["variant"] else "")
            p1 = subprocess.run(["espeak-ng", "-v", v, "-s", str(job["rate"]), "-p", str(job["pitch"]),
                                 "-w", str(tmp), text], capture_output=True, timeout=60)
            if p1.returncode != 0:
                return False
        elif job["engine"] == "flite":
            p1 = subprocess.run(["flite", "-voice", job["voice"], "-t", text, "-o", str(tmp),
                                 "--setf", f"duration_stretch={job['stretch']:.3f}",
                                 "--setf", f"int_f0_target_mean={job['f0']}"],
                                capture_output=True, timeout=60)
            if p1.returncode != 0:
                return False
        elif job["engine"] == "festival":
            p1 = subprocess.run(["text2wave", "-o", str(tmp), "-eval",
                                 f"(Parameter.set 'Duration_Stretch {job['stretch']:.3f})"],
                                input=text.encode(), capture_output=True, timeout=120)
            if p1.returncode != 0:
                return False
        else:
            return False
        p2 = subprocess.run(["sox", str(tmp), "-r", str(SR), "-c", "1", "-b", "16", str(out)],
                            capture_output=True, timeout=60)
        return p2.returncode == 0 and out.exists()
    finally:
        if tmp.exists():
            tmp.unlink()


def make_synth_jobs(seed: int, train_sents: list[str], eval_sents: list[str],
                    renditions_corpus: int, use_flite: bool, use_festival: bool) -> tuple[list, list]:
    rng = random.Random(seed + 7)
    train_jobs = []
    def rand_job(text):
        r = rng.random()
        if use_festival and r < 0.07:
            return {"engine": "festival", "voice": "kal_diphone", "stretch": rng.uniform(0.8, 1.3), "text": text}
        if use_flite and r < 0.25:
            return {"engine": "flite", "voice": rng.choice(FLITE_TRAIN_VOICES),
                    "stretch": rng.uniform(0.8, 1.3), "f0": rng.randint(80, 190), "text": text}
        return {"engine": "espeak", "voice": rng.choice(ESPEAK_TRAIN_VOICES),
                "variant": rng.choice(ESPEAK_TRAIN_VARIANTS), "rate": rng.randint(110, 210),
                "pitch": rng.randint(30, 70), "text": text}
    for text, reps in train_sents:
        for _ in range(reps):
            train_jobs.append(rand_job(text))
    eval_jobs = []
    for k, text in enumerate(eval_sents):
        voice, variant = ESPEAK_HELDOUT[k % len(ESPEAK_HELDOUT)]
        eval_jobs.append({"engine": "espeak", "voice": voice, "variant": variant,
                          "rate": rng.randint(120, 190), "pitch": rng.randint(35, 65), "text": text,
                          "set": "espeak_heldout"})
        if use_flite:
            eval_jobs.append({"engine": "flite", "voice": FLITE_HELDOUT, "stretch": rng.uniform(0.9, 1.15),
                              "f0": rng.randint(140, 190), "text": text, "set": "flite_heldout"})
    return train_jobs, eval_jobs


def job_key(job: dict) -> str:
    return hashlib.sha1(json.dumps(job, sort_keys=True).encode()).hexdigest()[:20]


def render_jobs(jobs: list[dict], wav_dir: Path, workers: int, log) -> Pool:
    wav_dir.mkdir(parents=True, exist_ok=True)
    todo = [(j, wav_dir / (job_key(j) + ".wav")) for j in jobs]
    missing = [(j, p) for j, p in todo if not p.exists()]
    if missing:
        log(f"synthesising {len(missing)} utterances ({len(todo) - len(missing)} cached) ...")
        t0 = time.time()
        done = 0
        with ThreadPoolExecutor(max_workers=workers) as ex:
            for ok in ex.map(lambda jp: synth_one(*jp), missing):
                done += 1
                if done % 1000 == 0:
                    log(f"  {done}/{len(missing)} in {time.time() - t0:.0f}s")
    import soundfile as sf
    A, T, I, M = [], [], [], []
    for j, p in todo:
        if not p.exists():
            continue
        x, sr = sf.read(str(p), dtype="int16", always_2d=True)
        x = x[:, 0]
        if sr != SR or len(x) < SR // 4:
            continue
        # trim digital silence at the ends (augmentation adds realistic padding back)
        nz = np.nonzero(np.abs(x) > 64)[0]
        if len(nz) == 0:
            continue
        x = x[max(0, nz[0] - 800): nz[-1] + 800]
        A.append(x.copy()); T.append(j["text"]); I.append(p.stem)
        M.append({k: v for k, v in j.items() if k != "text"})
    au, offs = pack(A)
    return Pool(au, offs, T, I, M)


# ============================================================== augmentation
def colored_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    kind = rng.integers(0, 3)
    w = rng.standard_normal(n).astype(np.float32)
    if kind == 0:
        return w
    spec = np.fft.rfft(w)
    f = np.arange(len(spec), dtype=np.float32)
    f[0] = 1.0
    spec = spec / (np.sqrt(f) if kind == 1 else f)
    x = np.fft.irfft(spec, n).astype(np.float32)
    return x / (x.std() + 1e-8)


def reverb(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    rt60 = rng.uniform(0.15, 0.7)
    n = int(rt60 * SR)
    t = np.arange(n, dtype=np.float32) / SR
    ir = rng.standard_normal(n).astype(np.float32) * np.exp(-6.9 * t / rt60)
    pre = int(rng.uniform(0.002, 0.02) * SR)
    ir[:pre] = 0
    ir *= rng.uniform(0.1, 0.5) / (np.sqrt((ir ** 2).sum()) + 1e-8)
    ir[0] = 1.0
    m = len(x) + n - 1
    nfft = 1 << (m - 1).bit_length()
    y = np.fft.irfft(np.fft.rfft(x, nfft) * np.fft.rfft(ir, nfft), nfft)[:len(x)]
    return y.astype(np.float32)


def augment(x: np.ndarray, rng: np.random.Generator, synthetic: bool) -> np.ndarray:
    if rng.random() < 0.6:  # speed perturbation (tempo and pitch), 0.9-1.1
        s = rng.uniform(0.9, 1.1)
        n = max(16, int(len(x) / s))
        x = np.interp(np.arange(n, dtype=np.float64) * s, np.arange(len(x)), x).astype(np.float32)
    if synthetic:  # leading/trailing silence like a real recording
        a, b = rng.integers(0, int(0.5 * SR)), rng.integers(0, int(0.5 * SR))
        x = np.concatenate([np.zeros(a, np.float32), x, np.zeros(b, np.float32)])
    if synthetic and rng.random() < 0.35:  # crude band-limiting / microphone colour
        k = int(rng.integers(2, 6))
        x = np.convolve(x, np.ones(k, np.float32) / k, mode="same").astype(np.float32)
    if rng.random() < (0.45 if synthetic else 0.15):
        x = reverb(x, rng)
    rms = float(np.sqrt(np.mean(x ** 2)) + 1e-8)
    if rng.random() < (0.75 if synthetic else 0.3):
        snr = rng.uniform(5, 30)
        x = x + colored_noise(len(x), rng) * (rms / (10 ** (snr / 20)))
        rms = float(np.sqrt(np.mean(x ** 2)) + 1e-8)
    # random gain: target RMS -40..-14 dBFS (no per-utterance normalisation at run time)
    target = 10 ** (rng.uniform(-40, -14) / 20)
    x = x * (target / rms)
    return np.clip(x, -1.0, 1.0).astype(np.float32)


# ============================================================== batching
def make_batch(step: int, seed: int, real: Pool, synth: Pool, real_sorted, synth_sorted,
               batch_seconds: float, max_seconds: float):
    rng = np.random.default_rng([seed, step, 1])
    half = batch_seconds * SR / 2
    def take(pool, order, start):
        idx = []
        longest = 0
        k = start
        while k < len(order):
            i = order[k]
            L = min(pool.lens[i], int(max_seconds * SR)) * 1.12
            if idx and max(longest, L) * (len(idx) + 1) > half:
                break
            idx.append(i); longest = max(longest, L); k += 1
        return idx
    rs = int(rng.integers(0, len(real_sorted)))
    r_idx = take(real, real_sorted, rs)
    target_len = real.lens[r_idx[0]]
    ss = int(np.searchsorted(synth.lens[synth_sorted], target_len)) + int(rng.integers(-200, 201))
    ss = int(np.clip(ss, 0, len(synth_sorted) - 1))
    s_idx = take(synth, synth_sorted, ss)
    waves, labels = [], []
    for pool, idxs, syn in ((real, r_idx, False), (synth, s_idx, True)):
        for i in idxs:
            x = pool.get(i)
            if len(x) > max_seconds * SR:  # crop very long (rare); keep the label, CTC tolerates little
                x = x[: int(max_seconds * SR)]
            waves.append(augment(x, rng, syn))
            labels.append(encode_text(pool.texts[i]))
    return waves, labels


def collate(waves, labels, torch):
    B = len(waves)
    T = max(len(w) for w in waves)
    x = torch.zeros(B, T)
    am = torch.zeros(B, T, dtype=torch.long)
    for b, w in enumerate(waves):
        x[b, :len(w)] = torch.from_numpy(w)
        am[b, :len(w)] = 1
    L = max(len(l) for l in labels)
    y = torch.full((B, L), -100, dtype=torch.long)
    for b, l in enumerate(labels):
        y[b, :len(l)] = torch.tensor(l)
    return x, am, y


# ============================================================== model helpers
def build_config():
    from transformers import Wav2Vec2Config
    return Wav2Vec2Config(**ARCH)


def macs_per_second(cfg) -> float:
    n = SR
    total = 0.0
    cin = 1
    for c, k, s in zip(cfg.conv_dim, cfg.conv_kernel, cfg.conv_stride):
        n = (n - k) // s + 1
        total += n * c * cin * k
        cin = c
    H, I = cfg.hidden_size, cfg.intermediate_size
    frames = n
    total += frames * cin * H  # feature projection
    total += frames * H * (H // cfg.num_conv_pos_embedding_groups) * cfg.num_conv_pos_embeddings
    total += frames * cfg.num_hidden_layers * (4 * H * H + 2 * H * I)
    total += frames * H * cfg.vocab_size
    return total


def greedy_decode(ids) -> str:
    out, prev = [], -1
    for i in ids:
        i = int(i)
        if i != prev and i != 0:
            ch = ID2CHAR.get(i, "")
            if ch in ("<s>", "</s>", "<unk>"):
                ch = ""
            out.append(" " if ch == "|" else ch)
        prev = i
    return " ".join("".join(out).split())


def transcribe(model, waves, torch) -> list[str]:
    hyps = []
    with torch.inference_mode():
        for w in waves:
            x = torch.from_numpy(np.ascontiguousarray(w, dtype=np.float32))[None]
            logits = model(x).logits[0]
            hyps.append(greedy_decode(logits.argmax(-1).tolist()))
    return hyps


def score(refs, hyps) -> dict:
    ce = sum(edit_distance(r, h) for r, h in zip(refs, hyps))
    cn = sum(len(r) for r in refs)
    we = sum(edit_distance(r.split(), h.split()) for r, h in zip(refs, hyps))
    wn = sum(len(r.split()) for r in refs)
    return {"utterances": len(refs), "cer": ce / max(1, cn), "wer": we / max(1, wn),
            "ref_chars": cn, "ref_words": wn}


# ============================================================== main
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work-dir", default=os.path.expanduser("~/.cache/proscore-train"))
    ap.add_argument("--data-dir", default=None, help="data caches (default WORK_DIR/data)")
    ap.add_argument("--out", default=str(DEFAULT_OUT))
    ap.add_argument("--seed", type=int, default=20211)
    ap.add_argument("--heldout-seed", type=int, default=762)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="auto", help="auto|cpu|cuda")
    ap.add_argument("--max-steps", type=int, default=2200)
    ap.add_argument("--warmup-steps", type=int, default=300)
    ap.add_argument("--lr", type=float, default=1.0e-3)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--batch-seconds", type=float, default=40.0, help="padded audio per batch (s)")
    ap.add_argument("--max-utt-seconds", type=float, default=16.0)
    ap.add_argument("--time-budget-minutes", type=float, default=None,
                    help="stop training, export and evaluate when this wall time is spent")
    ap.add_argument("--reserve-minutes", type=float, default=4.0,
                    help="part of the budget kept for export and evaluation")
    ap.add_argument("--checkpoint-minutes", type=float, default=5.0)
    ap.add_argument("--export-only", action="store_true")
    ap.add_argument("--n-generated-sentences", type=int, default=3200)
    ap.add_argument("--n-eval-sentences", type=int, default=120)
    ap.add_argument("--corpus-renditions", type=int, default=2)
    ap.add_argument("--synth-limit", type=int, default=None, help="cap synthetic training utterances (smoke tests)")
    ap.add_argument("--bf16", type=int, default=1, help="bf16 autocast for training (CPU with AVX512-BF16 / GPU)")
    ap.add_argument("--val-every", type=int, default=200)
    ap.add_argument("--log-every", type=int, default=10)
    args = ap.parse_args()

    t_start = time.time()
    work = Path(args.work_dir).expanduser()
    data_dir = Path(args.data_dir).expanduser() if args.data_dir else work / "data"
    ckpt_dir = work / "ckpt"
    for d in (work, data_dir, ckpt_dir):
        d.mkdir(parents=True, exist_ok=True)
    logf = open(work / "train.log", "a")

    def log(msg):
        line = f"[{time.strftime('%H:%M:%S')}] {msg}"
        print(line, flush=True)
        logf.write(line + "\n"); logf.flush()

    import torch
    torch.set_num_threads(args.threads)
    random.seed(args.seed); np.random.seed(args.seed); torch.manual_seed(args.seed)
    device = torch.device("cuda" if (args.device == "auto" and torch.cuda.is_available()) or args.device == "cuda" else "cpu")
    log(f"start: {' '.join(sys.argv)} | device {device} | threads {args.threads}")

    # ---- held-out speakers
    ho = choose_heldout(args.heldout_seed)
    HELDOUT_FILE.write_text(json.dumps(ho, indent=2) + "\n")
    heldout = set(ho["speakers"])
    log(f"held-out speakers ({len(heldout)}): children {ho['children']} adults {ho['adults']}")

    # ---- data
    real, real_ho = build_real_pools(data_dir, heldout)
    assert not (set(m["spk"] for m in real.meta) & heldout)
    log(f"real: train {len(real)} utts {real.hours():.2f} h | held-out {len(real_ho)} utts {real_ho.hours():.2f} h")

    use_flite = shutil.which("flite") is not None
    use_festival = shutil.which("text2wave") is not None
    lex = [l.split()[0] for l in (CORPUS / "resource" / "lexicon.txt").read_text().splitlines() if l.strip()]
    lex = sorted(set(w for w in lex if normalize_text(w) == w))
    srng = random.Random(args.seed + 3)
    gen = make_sentences(args.n_generated_sentences + args.n_eval_sentences, srng, lex)
    corpus_train_texts = sorted(set(real.texts))
    heldout_texts = set(real_ho.texts)
    banned = set(corpus_train_texts) | heldout_texts
    gen = [s for s in gen if s not in banned]
    eval_sents = gen[: args.n_eval_sentences]
    gen_train = gen[args.n_eval_sentences:]
    train_sents = [(t, args.corpus_renditions) for t in corpus_train_texts if t not in heldout_texts] + \
                  [(t, 1) for t in gen_train]
    train_jobs, eval_jobs = make_synth_jobs(args.seed, train_sents, eval_sents, args.corpus_renditions,
                                            use_flite, use_festival)
    if args.synth_limit:
        train_jobs = train_jobs[: args.synth_limit]
    (data_dir / "sentences_generated.txt").write_text("\n".join(gen_train) + "\n")
    (data_dir / "sentences_eval.txt").write_text("\n".join(eval_sents) + "\n")
    workers = max(1, args.threads)

    def rendered(jobs, name):
        """The synthesised pool for `jobs`, cached under a hash of the job list."""
        key = hashlib.sha1(json.dumps(jobs, sort_keys=True).encode()).hexdigest()[:12]
        cache = data_dir / f"synth_{name}_{key}.npz"
        if cache.exists():
            return Pool.load(cache)
        pool = render_jobs(jobs, data_dir / "synth_wav", workers, log)
        pool.save(cache)
        return pool

    synth = rendered(train_jobs, "train")
    synth_ev = rendered(eval_jobs, "eval")
    eng = {}
    for m, L in zip(synth.meta, synth.lens):
        eng[m["engine"]] = eng.get(m["engine"], 0) + L / SR / 3600
    log(f"synthetic: train {len(synth)} utts {synth.hours():.2f} h "
        f"({', '.join(f'{k} {v:.2f} h' for k, v in sorted(eng.items()))}) | eval {len(synth_ev)} utts")
    data_stats = {
        "real_train_utts": len(real), "real_train_hours": round(real.hours(), 3),
        "real_train_speakers": len(set(m["spk"] for m in real.meta)),
        "real_heldout_utts": len(real_ho), "real_heldout_hours": round(real_ho.hours(), 3),
        "real_heldout_speakers": len(heldout),
        "synth_train_utts": len(synth), "synth_train_hours": round(synth.hours(), 3),
        "synth_train_hours_by_engine": {k: round(v, 3) for k, v in eng.items()},
        "synth_train_sentences_corpus": len(corpus_train_texts),
        "synth_train_sentences_generated": len(gen_train),
        "synth_eval_utts": len(synth_ev),
    }

    # ---- model + optimizer
    from transformers import Wav2Vec2ForCTC
    cfg = build_config()
    torch.manual_seed(args.seed)
    model = Wav2Vec2ForCTC(cfg)
    # Zero the conv feature encoder's biases at init: with layer norm over channels and
    # no input normalisation, random biases dominate quiet input and the encoder collapses
    # to near-constant features (measured: CTC loss stuck at ~3.0 for 300+ steps). With
    # zero biases each conv+LN starts out invariant to input gain.
    with torch.no_grad():
        for layer in model.wav2vec2.feature_extractor.conv_layers:
            layer.conv.bias.zero_()
    model = model.to(device)
    n_params = sum(p.numel() for p in model.parameters())
    log(f"model: {n_params / 1e6:.2f} M params, {macs_per_second(cfg) / 1e9:.3f} GMAC per second of audio")
    decay, no_decay = [], []
    for n, p in model.named_parameters():
        (no_decay if p.ndim < 2 or "norm" in n or "bias" in n else decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.98), eps=1e-8)

    def lr_at(step):
        if step < args.warmup_steps:
            return args.lr * (step + 1) / args.warmup_steps
        p = min(1.0, (step - args.warmup_steps) / max(1, args.max_steps - args.warmup_steps))
        return args.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * p)))

    step, audio_seen, train_secs = 0, 0.0, 0.0
    ckpt_path = ckpt_dir / "last.pt"
    if ckpt_path.exists():
        ck = torch.load(ckpt_path, map_location=device, weights_only=False)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step, audio_seen, train_secs = ck["step"], ck["audio_seen"], ck["train_secs"]
        torch.set_rng_state(ck["torch_rng"]); np.random.set_state(ck["np_rng"]); random.setstate(ck["py_rng"])
        log(f"resumed from {ckpt_path} at step {step} ({audio_seen / 3600:.2f} h audio seen, {train_secs / 60:.1f} min trained)")

    def save_ckpt():
        tmp = ckpt_dir / "last.pt.tmp"
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                    "audio_seen": audio_seen, "train_secs": train_secs, "args": vars(args),
                    "torch_rng": torch.get_rng_state(), "np_rng": np.random.get_state(),
                    "py_rng": random.getstate(), "arch": ARCH}, tmp)
        os.replace(tmp, ckpt_path)
        log(f"checkpoint saved: step {step} -> {ckpt_path}")

    # ---- training
    real_sorted = np.argsort(real.lens, kind="stable")
    synth_sorted = np.argsort(synth.lens, kind="stable")
    val_idx = list(range(0, len(real_ho), max(1, len(real_ho) // 40)))[:40]
    deadline = None
    if args.time_budget_minutes is not None:
        deadline = t_start + 60 * (args.time_budget_minutes - args.reserve_minutes)
    use_amp = bool(args.bf16) and (device.type == "cuda" or "avx512_bf16" in open("/proc/cpuinfo").read())

    if not args.export_only and step < args.max_steps:
        log(f"training from step {step} to {args.max_steps} (bf16 autocast: {use_amp}); "
            f"batch {args.batch_seconds:.0f} s padded audio, peak lr {args.lr}")
        model.train()
        last_ckpt = time.time()
        win_loss, win_n, win_audio, win_t = 0.0, 0, 0.0, time.time()
        # SIGTERM / SIGINT end training after the current step; the model is then saved,
        # exported and evaluated as when the time budget runs out.
        stop = {"signal": None}
        def request_stop(signum, _frame):
            stop["signal"] = signal.Signals(signum).name
        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        while step < args.max_steps:
            if deadline is not None and time.time() > deadline:
                log("time budget reached; stopping training")
                break
            if stop["signal"]:
                log(f"{stop['signal']} received; stopping training")
                break
            t0 = time.time()
            waves, labels = make_batch(step, args.seed, real, synth, real_sorted, synth_sorted,
                                       args.batch_seconds, args.max_utt_seconds)
            x, am, y = collate(waves, labels, torch)
            x, am, y = x.to(device), am.to(device), y.to(device)
            torch.manual_seed(args.seed * 1000003 + step)  # dropout / masks of this step
            for g in opt.param_groups:
                g["lr"] = lr_at(step)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
                out = model(x, attention_mask=am, labels=y)
            loss = out.loss
            if torch.isfinite(loss):
                opt.zero_grad(set_to_none=True)
                loss.backward()
                gn = torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
                if torch.isfinite(gn):
                    opt.step()
                win_loss += loss.item(); win_n += 1
            step += 1
            a = sum(len(w) for w in waves) / SR
            audio_seen += a; win_audio += a
            train_secs += time.time() - t0
            if step % args.log_every == 0:
                dt = time.time() - win_t
                log(f"step {step} loss {win_loss / max(1, win_n):.3f} lr {lr_at(step):.2e} "
                    f"batch {len(waves)} utts | {win_audio / dt:.1f} s audio/s | "
                    f"{audio_seen / 3600:.2f} h seen | elapsed {(time.time() - t_start) / 60:.1f} min")
                win_loss, win_n, win_audio, win_t = 0.0, 0, 0.0, time.time()
            if args.val_every and step % args.val_every == 0:
                model.eval()
                hyps = transcribe(model, [real_ho.get(i) for i in val_idx], torch)
                sc = score([real_ho.texts[i] for i in val_idx], hyps)
                log(f"  monitor (40 held-out utts): CER {sc['cer']:.3f} WER {sc['wer']:.3f} | "
                    f"ref '{real_ho.texts[val_idx[1]]}' hyp '{hyps[1]}'")
                model.train()
            if time.time() - last_ckpt > 60 * args.checkpoint_minutes:
                save_ckpt(); last_ckpt = time.time()
        save_ckpt()

    # ---- export
    out_dir = Path(args.out)
    export(model, cfg, out_dir, torch)
    log(f"exported to {out_dir}")

    # ---- evaluate the exported directory
    res = evaluate(out_dir, real_ho, synth_ev, ho, torch, args.threads, log)
    res.update({"step": step, "audio_hours_seen": round(audio_seen / 3600, 2),
                "train_minutes": round(train_secs / 60, 1), "params": n_params,
                "gmac_per_audio_second": round(macs_per_second(cfg) / 1e9, 3),
                "data": data_stats, "seed": args.seed, "heldout_seed": args.heldout_seed,
                "device": str(device), "threads": args.threads,
                "train_throughput_audio_s_per_s": round(audio_seen / max(1, train_secs), 1),
                "command": "python tools/train_default_model.py " + " ".join(sys.argv[1:])})
    (out_dir / "eval.json").write_text(json.dumps(res, indent=2) + "\n")
    write_model_card(out_dir, res, args)
    log(f"wrote {out_dir / 'eval.json'} and MODEL_CARD.md; total {(time.time() - t_start) / 60:.1f} min")


def export(model, cfg, out_dir: Path, torch):
    from transformers import Wav2Vec2FeatureExtractor, Wav2Vec2ForCTC
    out_dir.mkdir(parents=True, exist_ok=True)
    m = Wav2Vec2ForCTC(cfg)
    m.load_state_dict({k: v.detach().float().cpu() for k, v in model.state_dict().items()})
    m = m.half().eval()
    with tempfile.TemporaryDirectory() as td:
        m.save_pretrained(td, safe_serialization=True)
        for f in ("config.json", "model.safetensors"):
            shutil.copy(Path(td) / f, out_dir / f)
    (out_dir / "vocab.json").write_text(json.dumps(VOCAB) + "\n")
    fe = Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=SR, padding_value=0.0,
                                  do_normalize=False, return_attention_mask=True)
    with tempfile.TemporaryDirectory() as td:
        fe.save_pretrained(td)
        shutil.copy(Path(td) / "preprocessor_config.json", out_dir / "preprocessor_config.json")


def evaluate(out_dir: Path, real_ho: Pool, synth_ev: Pool, ho: dict, torch, threads, log) -> dict:
    from transformers import Wav2Vec2ForCTC
    torch.set_num_threads(threads)
    model = Wav2Vec2ForCTC.from_pretrained(str(out_dir), dtype=torch.float32).eval()
    res = {"decoding": "greedy CTC (argmax, collapse repeats, drop <pad>, '|' -> space)",
           "model": "float16 weights from model.safetensors, evaluated in float32", "sets": {}}
    t0 = time.time()
    hyps = transcribe(model, [real_ho.get(i) for i in range(len(real_ho))], torch)
    refs = real_ho.texts
    res["sets"]["speechocean762_heldout_speakers"] = score(refs, hyps)
    children = set(ho["children"])
    for name, sel in (("children", lambda m: m["spk"] in children), ("adults", lambda m: m["spk"] not in children)):
        ii = [i for i in range(len(real_ho)) if sel(real_ho.meta[i])]
        res["sets"][f"speechocean762_heldout_{name}"] = score([refs[i] for i in ii], [hyps[i] for i in ii])
    res["examples"] = [{"ref": refs[i], "hyp": hyps[i]} for i in range(0, len(refs), max(1, len(refs) // 8))][:8]
    rng = np.random.default_rng(12345)
    for setname in sorted(set(m.get("set", "") for m in synth_ev.meta)):
        ii = [i for i in range(len(synth_ev)) if synth_ev.meta[i].get("set") == setname]
        waves = [synth_ev.get(i) for i in ii]
        waves = [w * (10 ** (-26 / 20) / (np.sqrt(np.mean(w ** 2)) + 1e-8)) for w in waves]
        r = [synth_ev.texts[i] for i in ii]
        res["sets"][f"synthetic_{setname}_clean"] = score(r, transcribe(model, waves, torch))
        noisy = []
        for w in waves:
            snr = rng.uniform(10, 20)
            noisy.append(np.clip(w + rng.standard_normal(len(w)).astype(np.float32) * np.sqrt(np.mean(w ** 2)) / 10 ** (snr / 20), -1, 1))
        res["sets"][f"synthetic_{setname}_noise10-20dB"] = score(r, transcribe(model, noisy, torch))
    log(f"evaluation took {time.time() - t0:.0f}s")
    for k, v in res["sets"].items():
        log(f"  {k:45s} n={v['utterances']:4d}  CER {100 * v['cer']:5.1f}%  WER {100 * v['wer']:5.1f}%")
    # real-time factor: PyTorch CPU, 1 thread, 10 s of held-out audio in one forward pass
    torch.set_num_threads(1)
    audio = np.concatenate([real_ho.get(i) for i in range(min(len(real_ho), 10))])[: 10 * SR]
    x = torch.from_numpy(np.ascontiguousarray(audio))[None]
    with torch.inference_mode():
        model(x)
        times = []
        for _ in range(3):
            t = time.time(); model(x); times.append(time.time() - t)
    rtf = min(times) / (len(audio) / SR)
    res["pytorch_cpu_rtf_1thread"] = round(rtf, 4)
    res["pytorch_cpu_speed_x_realtime_1thread"] = round(1 / rtf, 1)
    log(f"PyTorch CPU, 1 thread: RTF {rtf:.4f} ({1 / rtf:.0f}x faster than real time) on {len(audio) / SR:.1f} s")
    torch.set_num_threads(threads)
    return res


def training_history(log_path: Path) -> list[dict]:
    """Invocations of the training run that produced the latest checkpoint, from train.log."""
    if not log_path.exists():
        return []
    runs = []
    for line in log_path.read_text().splitlines():
        if "] start: " in line:
            runs.append({"time": line[1:9], "command": line.split("] start: ", 1)[1].split(" | ")[0],
                         "from_step": 0, "to_step": None})
        elif runs and "resumed from" in line and " at step " in line:
            runs[-1]["from_step"] = int(line.split(" at step ")[1].split()[0])
        elif runs and "checkpoint saved: step " in line:
            runs[-1]["to_step"] = int(line.split("checkpoint saved: step ")[1].split()[0])
    runs = [r for r in runs if r["to_step"] is not None and r["to_step"] > r["from_step"]]
    fresh = [i for i, r in enumerate(runs) if r["from_step"] == 0]
    return runs[fresh[-1]:] if fresh else runs


def write_model_card(out_dir: Path, res: dict, args):
    d = res["data"]
    rows = "\n".join(f"| {k} | {v['utterances']} | {100 * v['cer']:.1f}% | {100 * v['wer']:.1f}% |"
                     for k, v in res["sets"].items())
    ex = "\n".join(f"| {e['ref']} | {e['hyp']} |" for e in res.get("examples", []))
    cer = res["sets"]["speechocean762_heldout_speakers"]["cer"]
    verdict = ("meets" if cer <= 0.15 else "does NOT meet")
    size_mb = (out_dir / "model.safetensors").stat().st_size / 1e6
    ho = json.loads(HELDOUT_FILE.read_text())
    hist = training_history(Path(args.work_dir).expanduser() / "train.log")
    hist_md = ""
    if len(hist) > 1:
        hist_md = ("- The run was interrupted and resumed from its checkpoints (batches of step k do not "
                   "depend on where a run resumed; the thread count and, where given, `--max-steps`, "
                   "i.e. the LR schedule, differ between legs):\n" +
                   "\n".join(f"  - steps {r['from_step']}–{r['to_step']}: `python {r['command']}`" for r in hist) + "\n")
    cmd = f"`{res['command']}`"
    if "--export-only" in res["command"] and hist:
        cmd = f"`python {hist[-1]['command']}` (exported and evaluated afterwards with `{res['command']}`)"
    card = f"""# proscore-small-ctc

Proscore's default speech recogniser: a small `Wav2Vec2ForCTC` (character CTC), trained
**from scratch** (no pre-training, no downloaded weights) by `tools/train_default_model.py`.
It is there so that Proscore transcribes speech out of the box; for best accuracy swap in a
large pre-trained checkpoint such as wav2vec2-base-960h (same vocabulary, same decoder).

## Provenance

- Script: `tools/train_default_model.py` (transformers + torch, CPU). The script alone
  rebuilds this directory: it selects held-out speakers, caches the corpus, synthesises
  speech, trains, exports and evaluates.
- Command: {cmd}
- Seeds: training `--seed {res['seed']}` (batches and augmentation of step k come from
  RNGs seeded with (seed, k); resumable from checkpoints in `--work-dir`), held-out speaker
  choice `--heldout-seed {res['heldout_seed']}`.
- Training: {res['step']} steps, {res['train_minutes']} min of training on {res['device']}
  ({res['threads']} threads, bf16 autocast), {res['audio_hours_seen']} h of (augmented)
  audio seen, {res['train_throughput_audio_s_per_s']} s of audio per second. AdamW
  (betas 0.9/0.98, weight decay {args.weight_decay}), peak lr {args.lr}, {args.warmup_steps}
  warm-up steps then cosine decay towards step {args.max_steps}; ~{args.batch_seconds:.0f} s of
  padded audio per batch, half real and half synthetic; CTC loss (mean), gradient clip 5.
{hist_md}
## Architecture

`Wav2Vec2ForCTC`, model_type `wav2vec2`: conv feature encoder with layer norm
(`feat_extract_norm="layer"`, so it streams exactly), conv_dim {list(ARCH['conv_dim'])},
kernels {list(ARCH['conv_kernel'])}, strides {list(ARCH['conv_stride'])} (320 samples = 20 ms
a frame, receptive field 400); pre-norm transformer (`do_stable_layer_norm=True`),
hidden {ARCH['hidden_size']}, {ARCH['num_hidden_layers']} layers, {ARCH['num_attention_heads']}
heads, FFN {ARCH['intermediate_size']}, GELU; positional conv embedding kernel
{ARCH['num_conv_pos_embeddings']} (±16 frames), {ARCH['num_conv_pos_embedding_groups']} groups.
{res['params'] / 1e6:.2f} M parameters, ~{res['gmac_per_audio_second']} GMAC per second of audio;
weights stored in float16 ({size_mb:.1f} MB). Preprocessing: 16 kHz mono float in [-1, 1],
**no** per-utterance normalisation (`do_normalize=false`).
Vocabulary: wav2vec2-base-960h layout (`<pad>`=0 is the CTC blank, `|` separates words,
A–Z and apostrophe).

## Data

- Real: speechocean762 train split (non-native read English, Mandarin L1, children and
  adults): {d['real_train_utts']} utterances, {d['real_train_hours']} h from
  {d['real_train_speakers']} speakers. Held out entirely (never trained on):
  {d['real_heldout_speakers']} speakers, {d['real_heldout_utts']} utterances,
  {d['real_heldout_hours']} h — children {', '.join(ho['children'])}; adults
  {', '.join(ho['adults'])} (`tools/heldout_speakers.json`). Every sentence in the
  corpus is distinct, so held-out sentences are unseen as text too.
- Synthetic: {d['synth_train_utts']} utterances, {d['synth_train_hours']} h
  ({', '.join(f'{k} {v} h' for k, v in d['synth_train_hours_by_engine'].items())}):
  the training speakers' sentences ({args.corpus_renditions} renditions each) and
  {d['synth_train_sentences_generated']} further sentences generated from templates and the
  corpus lexicon; espeak-ng voices {', '.join(ESPEAK_TRAIN_VOICES)} with many `+variants`,
  rate 110–210 wpm, pitch 30–70; flite {', '.join(FLITE_TRAIN_VOICES)} (duration stretch
  0.8–1.3, varied F0); festival kal_diphone.
- Augmentation (on the fly): speed 0.9–1.1, random leading/trailing silence (synthetic),
  synthetic reverberation (exponentially decaying noise impulse response, RT60 0.15–0.7 s),
  white/pink/brown noise at 5–30 dB SNR, random gain (RMS −40…−14 dBFS).
- Held-out synthetic voices (never trained on): espeak-ng `{ESPEAK_HELDOUT[0][0]}` with variants
  {', '.join(v for _, v in ESPEAK_HELDOUT)}, and flite `{FLITE_HELDOUT}`, reading
  {args.n_eval_sentences} generated sentences that are not in the training text.

## Results (greedy decoding, measured by the script)

| set | utterances | CER | WER |
|---|---|---|---|
{rows}

The aim was CER ≤ 15% on the held-out speakers; this model **{verdict}** it
(CER {100 * cer:.1f}%). A from-scratch model with ~2.6 h of real speech cannot match
pre-trained checkpoints; it is a usable default for demos, timing and fluency measures,
not a substitute for wav2vec2-base-960h on accuracy.

PyTorch CPU, 1 thread, 10 s of audio in one pass: RTF {res['pytorch_cpu_rtf_1thread']}
({res['pytorch_cpu_speed_x_realtime_1thread']}× faster than real time).

Examples (held-out speakers):

| reference | greedy transcript |
|---|---|
{ex}

## Licence and credit

Trained on speechocean762 (Zhang et al., 2021), CC BY 4.0 — Junbo Zhang, Zhiwen Zhang,
Yongqing Wang, Zhiyong Yan, Qiong Song, Yukai Huang, Ke Li, Daniel Povey, Yujun Wang,
"speechocean762: An Open-Source Non-native English Speech Corpus For Pronunciation
Assessment", Interspeech 2021. Synthetic speech from espeak-ng, flite and festival.
"""
    (out_dir / "MODEL_CARD.md").write_text(card)


if __name__ == "__main__":
    main()
