"""Pure-numpy pieces of the distillation pipeline (no torch): Whisper's log-mel front
end, packing utterances into Whisper's 30 s windows, frame counts, text normalisation
of the teacher's output."""
from __future__ import annotations

import re

import numpy as np

SR = 16000
N_FFT = 400
HOP = 160
N_MELS = 80
WINDOW_SAMPLES = 30 * SR          # Whisper always encodes 30 s
WINDOW_FRAMES = 1500              # encoder frames per window (20 ms each)
FRAME = 320                       # samples per encoder / student frame
GAP_SAMPLES = int(0.4 * SR)       # silence between packed utterances
# Student frame i covers samples 320 i .. 320 i + 400 (centre 320 i + 200); Whisper's
# encoder frame j is centred on sample 320 j of its window (STFT centred, conv2 stride 2).
# Placing an utterance at window sample 320 k - 200 makes teacher frame k + i share its
# centre with student frame i.
CENTRE_OFFSET = 200


def _hz_to_mel(f):
    f = np.asarray(f, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep, f / f_sp)


def _mel_to_hz(m):
    m = np.asarray(m, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def mel_filters(sr: int = SR, n_fft: int = N_FFT, n_mels: int = N_MELS) -> np.ndarray:
    """Slaney-scale, Slaney-normalised triangular filters (librosa.filters.mel defaults),
    shape (n_mels, n_fft // 2 + 1)."""
    fftfreqs = np.linspace(0, sr / 2, n_fft // 2 + 1)
    mel_f = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(sr / 2), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fftfreqs[None, :]
    w = np.zeros((n_mels, len(fftfreqs)))
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        w[i] = np.maximum(0, np.minimum(lower, upper))
    w *= (2.0 / (mel_f[2:n_mels + 2] - mel_f[:n_mels]))[:, None]
    return w.astype(np.float32)


_FILTERS = None


def log_mel(audio: np.ndarray) -> np.ndarray:
    """Whisper's front end: |STFT|^2 (Hann 400, hop 160, centred, reflect padding, last
    frame dropped) -> Slaney mel -> log10 (clamp 1e-10) -> max(x, max - 8) -> (x + 4) / 4.
    len(audio) samples give len(audio) // 160 frames (3000 for 30 s)."""
    global _FILTERS
    if _FILTERS is None:
        _FILTERS = mel_filters()
    x = np.pad(np.asarray(audio, dtype=np.float32), (N_FFT // 2, N_FFT // 2), mode="reflect")
    n = 1 + (len(x) - N_FFT) // HOP
    frames = np.lib.stride_tricks.as_strided(x, (n, N_FFT), (x.strides[0] * HOP, x.strides[0]))
    win = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)  # periodic
    spec = np.fft.rfft(frames * win, axis=1)
    power = (spec.real ** 2 + spec.imag ** 2).astype(np.float32)[:-1]
    mel = power @ _FILTERS.T
    logspec = np.log10(np.maximum(mel, 1e-10))
    logspec = np.maximum(logspec, logspec.max() - 8.0)
    return ((logspec + 4.0) / 4.0).T.astype(np.float32)  # (80, frames)


def conv_out_len(n: int, kernels=(10, 3, 3, 3, 3, 2, 2), strides=(5, 2, 2, 2, 2, 2, 2)) -> int:
    """Frames a Wav2Vec2 conv stack emits for n samples (no padding)."""
    for k, s in zip(kernels, strides):
        n = (n - k) // s + 1
        if n <= 0:
            return 0
    return n


def pack_windows(lengths: list[int], max_len: int = WINDOW_SAMPLES, gap: int = GAP_SAMPLES):
    """Pack utterances (in the given order) into 30 s windows. Returns a list of windows,
    each a list of (utterance index, start sample, first teacher frame k): the utterance
    lies at samples start .. start + len of its window, start = 320 k - 200, and teacher
    frames k .. k + conv_out_len(len) are its targets. Utterances longer than what fits in
    one window raise ValueError (chunk them first)."""
    windows, cur, k = [], [], 1
    for i, n in enumerate(lengths):
        if FRAME * 1 - CENTRE_OFFSET + n > max_len:
            raise ValueError(f"utterance {i} ({n} samples) does not fit in one window")
        start = FRAME * k - CENTRE_OFFSET
        if start + n > max_len:
            windows.append(cur)
            cur, k = [], 1
            start = FRAME * k - CENTRE_OFFSET
        cur.append((i, start, k))
        end = start + n + gap
        k = -(-(end + CENTRE_OFFSET) // FRAME)  # next frame boundary after the gap
    if cur:
        windows.append(cur)
    return windows


def chunk_lengths(n: int, max_chunk: int) -> list[tuple[int, int]]:
    """Split n samples into near-equal chunks of at most max_chunk samples (multiples of 320)."""
    if n <= max_chunk:
        return [(0, n)]
    parts = -(-n // max_chunk)
    step = -(-n // parts)
    step = -(-step // FRAME) * FRAME
    return [(a, min(n, a + step)) for a in range(0, n, step)]


# ---------------------------------------------------------------- text
_ONES = ["ZERO", "ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE", "TEN",
         "ELEVEN", "TWELVE", "THIRTEEN", "FOURTEEN", "FIFTEEN", "SIXTEEN", "SEVENTEEN", "EIGHTEEN",
         "NINETEEN"]
_TENS = ["", "", "TWENTY", "THIRTY", "FORTY", "FIFTY", "SIXTY", "SEVENTY", "EIGHTY", "NINETY"]


def number_words(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        return _ONES[n // 100] + " HUNDRED" + ("" if n % 100 == 0 else " " + number_words(n % 100))
    if n < 1_000_000:
        return number_words(n // 1000) + " THOUSAND" + ("" if n % 1000 == 0 else " " + number_words(n % 1000))
    return " ".join(_ONES[int(d)] for d in str(n))


def spell_numbers(s: str) -> str:
    """Digits in the teacher's output spelled out as words (the corpus spells numbers);
    '1,000' -> 1000; '3rd' etc. kept as digits+suffix words are rare and left alone."""
    s = re.sub(r"(?<=\d),(?=\d{3})", "", s)
    s = re.sub(r"(\d+)%", lambda m: m.group(1) + " PERCENT", s)
    return re.sub(r"\d+", lambda m: " " + number_words(int(m.group(0))) + " ", s)
