#!/usr/bin/env python3
"""What a lexicon and a word-unigram language model would do for the encoder's transcripts.

A go/no-go for a decoder, not a decoder Proscore runs: the encoder's offline CTC log
posteriors (PyTorch) for speechocean762 utterances, decoded greedily (as Proscore decodes) and
by a CTC prefix beam search whose words must be in a lexicon of the N most frequent English
words (the `wordfreq` package, its "large" list) and are scored by their unigram log
probability: score = log P_ctc + alpha * log P_word + beta per word.

alpha and beta are chosen on the --tune speakers (never the held-out ones); the held-out
speakers (tools/heldout_speakers.json) are then decoded once with each setting given, and
CER/WER are printed with the normalisation of tools/distill (upper case, punctuation dropped).

  python3 tools/lexicon_lm_check.py --model models/proscore-distilled-r2-ctc --set tune \\
      --settings 0.3,0,16 0.3,2,16 0.5,3,16
  python3 tools/lexicon_lm_check.py --model models/proscore-distilled-r2-ctc --set held --settings 0.3,0,16 0.3,2,16

Needs torch, transformers, soundfile and wordfreq (tools/requirements.txt) and the corpus in
../shared/speechocean762; log posteriors are cached in --cache.
"""
import argparse
import json
import math
import sys
from multiprocessing import Pool
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from score_agreement import error_rates  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "speechocean762" / "train"
NEG = -math.inf


def log_add(a, b):
    if a == NEG:
        return b
    if b == NEG:
        return a
    return max(a, b) + math.log1p(math.exp(-abs(a - b)))


def posteriors(model_dir, cache, tune_speakers):
    """utterance → (log posteriors [frames, vocab] float16, text, "held" or "tune"), cached."""
    if cache.exists():
        return np.load(cache, allow_pickle=True).item()
    import soundfile
    import torch
    from transformers import Wav2Vec2ForCTC

    speaker = dict(line.split() for line in open(CORPUS / "utt2spk"))
    text = {l.split(maxsplit=1)[0]: l.split(maxsplit=1)[1].strip() for l in open(CORPUS / "text") if len(l.split()) > 1}
    wav = dict(line.split() for line in open(CORPUS / "wav.scp"))
    held = set(json.loads((ROOT / "tools" / "heldout_speakers.json").read_text())["speakers"])
    model = Wav2Vec2ForCTC.from_pretrained(model_dir).float().eval()
    out = {}
    for u in sorted(speaker):
        s = speaker[u]
        if s not in held and s not in tune_speakers:
            continue
        audio, rate = soundfile.read(CORPUS / wav[u], dtype="float32")
        assert rate == 16000, f"{u}: {rate} Hz"
        with torch.no_grad():
            lp = torch.log_softmax(model(torch.from_numpy(audio)[None]).logits[0], -1).numpy()
        out[u] = (lp.astype(np.float16), text[u], "held" if s in held else "tune")
    np.save(cache, out, allow_pickle=True)
    return out


class Lexicon:
    """A trie of upper-case words with their unigram log probabilities; each node keeps the
    best log probability below it (for ranking partial words) and, at a word's end, the
    word's own."""

    def __init__(self, words):
        self.root = {}
        for word, logp in words.items():
            node = self.root
            node["*"] = max(node.get("*", NEG), logp)
            for ch in word:
                node = node.setdefault(ch, {})
                node["*"] = max(node.get("*", NEG), logp)
            node["$"] = max(node.get("$", NEG), logp)

    @classmethod
    def english(cls, size, characters):
        """The `size` most frequent English words of wordfreq's large list that the vocabulary spells."""
        import wordfreq

        words = {}
        for w in wordfreq.top_n_list("en", size, wordlist="large"):
            word = w.upper().replace("’", "'")
            if word and all(ch in characters for ch in word):
                logp = math.log(wordfreq.word_frequency(w, "en", wordlist="large") + 1e-12)
                words[word] = max(words.get(word, NEG), logp)
        return cls(words)


def beam_decode(lp, lexicon, vocab, alpha, beta, width, prune=-8.0):
    """CTC prefix beam search; words from the lexicon only, each scored alpha·log P + beta."""
    chars = {i: c for c, i in vocab.items()}
    blank, space = vocab["<pad>"], vocab["|"]
    # (words, partial word) → [p_blank, p_nonblank, lm score, trie node, last token]
    beams = {((), ""): [0.0, NEG, 0.0, lexicon.root, None]}

    def rank(item):
        (words, partial), (pb, pnb, lm, node, _) = item
        return log_add(pb, pnb) + lm + (alpha * node.get("*", -30.0) if partial else 0.0)

    for row in lp:
        candidates = [int(c) for c in np.nonzero(row > row.max() + prune)[0] if c != blank]
        grown = {}

        def entry(key, node, lm):
            if key not in grown:
                grown[key] = [NEG, NEG, lm, node, None]
            return grown[key]

        for key, (pb, pnb, lm, node, last) in beams.items():
            total = log_add(pb, pnb)
            same = entry(key, node, lm)
            same[0] = log_add(same[0], total + row[blank])
            same[4] = last
            if last is not None and last != space:
                same[1] = log_add(same[1], pnb + row[last])
            words, partial = key
            for c in candidates:
                if c == space:
                    if not partial:
                        same[1] = log_add(same[1], total + row[c])
                    elif "$" in node:
                        done = entry((words + (partial,), ""), lexicon.root, lm + alpha * node["$"] + beta)
                        done[1] = log_add(done[1], total + row[c])
                        done[4] = space
                    continue
                child = node.get(chars[c])
                if child is None:
                    continue
                longer = entry((words, partial + chars[c]), child, lm)
                longer[1] = log_add(longer[1], (pb if c == last else total) + row[c])
                longer[4] = c
        beams = dict(sorted(grown.items(), key=rank, reverse=True)[:width])
    best, best_score = (), NEG
    for (words, partial), (pb, pnb, lm, node, _) in beams.items():
        score = log_add(pb, pnb) + lm
        if partial:
            if "$" not in node:
                continue
            score += alpha * node["$"] + beta
            words = words + (partial,)
        if score > best_score:
            best, best_score = words, score
    return " ".join(best)


def greedy_decode(lp, vocab):
    chars = {i: c for c, i in vocab.items()}
    out, previous = [], None
    for i in lp.argmax(1):
        if i != previous and i != vocab["<pad>"]:
            out.append(chars[int(i)])
        previous = i
    return " ".join("".join(out).replace("|", " ").split())


_job = {}


def _decode(args):
    u, alpha, beta, width = args
    return beam_decode(_job["data"][u][0].astype(np.float32), _job["lexicon"], _job["vocab"], alpha, beta, width)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="a Wav2Vec2ForCTC checkpoint folder")
    ap.add_argument("--set", choices=["tune", "held"], required=True)
    ap.add_argument("--settings", nargs="+", required=True, help="alpha,beta,beam width")
    ap.add_argument("--lexicon-size", type=int, default=20000)
    ap.add_argument("--tune-speakers", type=int, default=10, help="the first N of tools/head_speakers.json")
    ap.add_argument("--cache", default="/tmp/proscore-lexicon-lm-posteriors.npy")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args(argv)
    vocab = json.loads((Path(args.model) / "vocab.json").read_text())
    tune = set(json.loads((ROOT / "tools" / "head_speakers.json").read_text())["speakers"][: args.tune_speakers])
    data = posteriors(args.model, Path(args.cache), tune)
    ids = [u for u in sorted(data) if data[u][2] == args.set]
    if not ids:
        sys.exit(f"no utterances in the {args.set} set")
    references = [data[u][1] for u in ids]
    greedy = [greedy_decode(data[u][0].astype(np.float32), vocab) for u in ids]
    def rates(hypotheses):
        return tuple(100 * r for r in error_rates(list(zip(hypotheses, references))))

    print("%-34s %s: CER %.1f%%  WER %.1f%%  (%d utterances)" % ("greedy", args.set, *rates(greedy), len(ids)))
    characters = {c for c in vocab if len(c) == 1 and c != "|"}
    _job.update(data=data, vocab=vocab, lexicon=Lexicon.english(args.lexicon_size, characters))
    for setting in args.settings:
        alpha, beta, width = setting.split(",")
        with Pool(args.jobs) as pool:
            hypotheses = pool.map(_decode, [(u, float(alpha), float(beta), int(width)) for u in ids])
        label = f"lexicon {args.lexicon_size}, a={alpha} b={beta} beam {width}"
        print("%-34s %s: CER %.1f%%  WER %.1f%%" % (label, args.set, *rates(hypotheses)))


if __name__ == "__main__":
    main()
