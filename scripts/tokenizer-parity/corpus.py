"""The tokenizer-parity corpus: a few thousand strings in every script and spelling, generated
deterministically (seed 15), written as JSON lines {"cat": category, "text": string}.

Used by reference.py (Python `tokenizers` ids) and by the probe/fixture; see README.md here.
"""
import json
import random
import sys
import unicodedata

R = random.Random(15)

WORDS = {
    "accents": ["café", "naïve", "Ångström", "Pokémon", "jalapeño", "crème brûlée", "Tiếng Việt", "Zürich", "façade",
                "coöperate", "São Paulo", "Dvořák", "Łódź", "résumé", "smörgåsbord", "Ærøskøbing"],
    "cjk": ["东京大学", "北京欢迎你", "漢字テスト", "日本語の文章です", "ひらがな", "カタカナ", "한국어 문장", "안녕하세요", "𠀀𠀁𪜀", "中文，标点。",
            "「引用」", "ｶﾀｶﾅ半角"],
    "thai": ["ภาษาไทยไม่มีช่องว่าง", "สวัสดีครับ", "กรุงเทพมหานคร"],
    "arabic": ["مرحبا بالعالم", "اللُّغَةُ العَرَبِيَّة", "٠١٢٣٤٥٦٧٨٩", "שָׁלוֹם עוֹלָם", "עברית"],
    "devanagari": ["नमस्ते दुनिया", "हिन्दी", "क्षत्रिय", "१२३"],
    "emoji": ["👨‍👩‍👧‍👦", "👍🏽", "🇫🇷🇯🇵", "1️⃣", "❤️", "🏳️‍🌈", "🧑🏿‍💻", "😀😃😄", "🏴󠁧󠁢󠁳󠁣󠁴󠁿"],
    "fullwidth": ["ＡＢＣ１２３", "ｆｕｌｌ－ｗｉｄｔｈ", "ﬁnance ﬂow", "①②③", "™ ℃ ㎏ ㍻", "x² H₂O", "Ⅻ", "ｈｅｌｌｏ　ｗｏｒｌｄ", "＠＃＄％"],
    "case": ["İstanbul", "ıi İI", "Straße", "STRASSE ẞ", "ΟΔΥΣΣΕΥΣ ὀδυσσεύς", "ǅemal", "ŉ", "ﬀ", "Σίσυφος", "DİYARBAKIR"],
    "latin": ["the quick brown fox", "don't stop", "it's 3.14", "e-mail@example.com", "C++ & C#", "$100,000", "U.S.A.", "rock'n'roll"],
}
SPECIAL = {
    "zero_width": ["\u200b", "\u200c", "\u200d", "\ufeff", "\u2060", "\u00ad", "\u034f", "\u180e"],
    "bidi": ["\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u061c"],
    "whitespace": [" ", "\t", "\n", "\r\n", "\u00a0", "\u1680", "\u2000", "\u2007", "\u200a", "\u2028", "\u2029", "\u202f", "\u205f",
                   "\u3000", "\u0085", "\u000b", "\u000c", "\u001c", "\u001f"],
    "control": ["\x00", "\x01", "\x07", "\x1b", "\x7f", "\x80", "\x9f", "\ufffd", "\ufff9", "\U000e0001", "\ue000", "\U000f0000", "\ufdd0", "\uffff"],
}
ALL_WORDS = [w for ws in WORDS.values() for w in ws]


def variants(s):
    """s and its NFD / NFKC / NFKD spellings when they differ."""
    out = [s]
    for f in ("NFD", "NFKC", "NFKD"):
        v = unicodedata.normalize(f, s)
        if v not in out:
            out.append(v)
    return out


def emit(cat, text, rows, seen):
    if text not in seen:
        seen.add(text)
        rows.append({"cat": cat, "text": text})


def main():
    rows, seen = [], set()
    for cat, ws in WORDS.items():
        for w in ws:
            for v in variants(w):
                emit(cat, v, rows, seen)
                emit(cat, f"a {v} b", rows, seen)
                emit(cat, v.upper(), rows, seen)
    for cat, marks in SPECIAL.items():
        for m in marks:
            for w in R.sample(ALL_WORDS, 12):
                emit(cat, w[: len(w) // 2] + m + w[len(w) // 2 :], rows, seen)
                emit(cat, w + m + "word", rows, seen)
                emit(cat, m + w + m, rows, seen)
            emit(cat, m, rows, seen)
            emit(cat, m * 3, rows, seen)
    # combining marks stacked, alone, at the start
    for n in range(1, 8):
        emit("combining", "e" + "".join(chr(0x300 + R.randrange(0x70)) for _ in range(n)), rows, seen)
        emit("combining", "\u0301" * n + "abc", rows, seen)
        emit("combining", "zal" + "\u0336\u0337\u0338" * n + "go", rows, seen)
    # Hangul: precomposed vs conjoining jamo
    for w in ["한국어", "안녕하세요"]:
        emit("cjk", unicodedata.normalize("NFD", w), rows, seen)
    # long words, long tokens
    for n in (50, 99, 100, 101, 200, 1000):
        emit("long", "a" * n, rows, seen)
        emit("long", "x " + "ab" * (n // 2) + " y", rows, seen)
        emit("long", "é" * n, rows, seen)
        emit("long", "ก" * n, rows, seen)
    emit("long", "Pneumonoultramicroscopicsilicovolcanoconiosis antidisestablishmentarianism", rows, seen)
    # mixed scripts, random draws
    pool = ALL_WORDS + [m for ms in SPECIAL.values() for m in ms]
    while len(rows) < 2600:
        k = R.randrange(1, 9)
        emit("mixed", "".join(R.choice(pool) + R.choice(["", " ", " ", "-", "\u00a0"]) for _ in range(k)), rows, seen)
    # random code points from the BMP and astral planes (no surrogates: Python's tokenizers refuse them)
    ranges = [(0x20, 0x7f), (0xa0, 0x2fff), (0x3000, 0x9fff), (0xac00, 0xd7a3), (0xf900, 0xffff), (0x1f000, 0x1faff), (0x20000, 0x2a6df), (0xe0000, 0xe007f)]
    while len(rows) < 3400:
        lo, hi = R.choice(ranges)
        emit("random", "".join(chr(R.randrange(lo, hi)) for _ in range(R.randrange(1, 12))), rows, seen)
    for r in rows:
        sys.stdout.write(json.dumps(r, ensure_ascii=True) + "\n")


if __name__ == "__main__":
    main()
