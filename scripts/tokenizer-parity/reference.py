"""Reference token ids from Python `tokenizers` for the parity corpus (corpus.py) plus truncation
cases built per tokenizer. Writes one JSON line per case: {"model", "cat", "text", ["pair"], "ids"}.

  python3 scripts/tokenizer-parity/corpus.py > /tmp/corpus.jsonl
  python3 scripts/tokenizer-parity/reference.py /work/shared/models /tmp/corpus.jsonl > /tmp/reference.jsonl

`ids` are what Python's `Tokenizer.encode` gives with truncation at the model's maximum
(512 for BERT WordPiece, 77 for CLIP BPE, longest-first for pairs) — what transformers'
fast tokenizers return with `truncation=True`.
"""
import json
import random
import re
import sys

from tokenizers import Tokenizer

MODELS = {
    "bge-small-en-v1.5": ("bge-small-en-v1.5/tokenizer.json", 512),
    "clip": ("clip-architecture-fixture/tokenizer.json", 77),
    "clip-vit-b32": ("_tokenizers-only/clip-vit-b32-tokenizer/tokenizer.json", 77),
    "bert-base-uncased": ("_tokenizers-only/bert-base-uncased-wordpiece/tokenizer.json", 512),
}


def truncation_cases(tok, max_len, rng):
    """Texts whose content is max-3 .. max+1 tokens, a word of several pieces across the cut."""
    special = len(tok.encode("").ids)
    budget = max_len - special
    multi = ["unbelievably", "antidisestablishmentarianism", "naïveté", "東京大学", "photosynthesis"]
    out = []
    for word in multi:
        pieces = len(tok.encode(word, add_special_tokens=False).ids)
        for total in range(budget - 3, budget + 3):
            # filler: one token per word ("a" in both vocabularies), then the multi-piece word ending at `total`
            filler = max(0, total - pieces)
            text = " ".join(["a"] * filler + [word])
            out.append(("truncation", text))
            out.append(("truncation", text + " " + word))
    # long texts past the prefix the JS side reads first (8192 characters), joined by characters
    # that are or are not whitespace to the tokenizer
    for sep in [" ", "\u00a0", "\ufeff", "\u200b", "\u0085", "\u3000", "\u2028", "-"]:
        for word in ["ab", "unbelievably", "ภาษาไทย", "naïveté"]:
            text = sep.join([word] * (9000 // (len(word) + 1) + rng.randrange(50)))
            out.append(("long-text", text))
    return out


SURROGATE = re.compile("[\ud800-\udfff]")


def surrogate_cases(rng):
    """Texts holding lone surrogates, as the wire's engineText hands them on (a Python client's
    surrogatepass body). Python's tokenizers refuse them; the reference is the text with each lone
    unit read as U+FFFD, as every UTF-8 decoder does."""
    out = []
    for unit in ["\ud800", "\udbff", "\udc00", "\udfff", "\ud83d"]:
        for w in ["word", "caf\u00e9", "\u6771\u4eac", "a b", "", "\U0001F600"]:
            out.append(("surrogate", unit + w))
            out.append(("surrogate", w + unit))
            out.append(("surrogate", w[:1] + unit + w[1:]))
    return out


SPECIAL_TEXTS = ["hello [SEP] world", "[CLS]", "[cls] x", "[MASK] and [UNK]", "[PAD]", "a[SEP]b",
                 "<|endoftext|>", "x <|startoftext|> y", "<|endoftext|><|endoftext|>", "</w>", "<|ENDOFTEXT|>"]


def main():
    root, corpus_path = sys.argv[1], sys.argv[2]
    rows = [json.loads(l) for l in open(corpus_path, encoding="utf-8")]
    rng = random.Random(15)
    for name, (rel, max_len) in MODELS.items():
        tok = Tokenizer.from_file(f"{root}/{rel}")
        tok.enable_truncation(max_len)
        tok.no_padding()
        cases = [(r["cat"], r["text"]) for r in rows] + truncation_cases(tok, max_len, rng)
        cases += surrogate_cases(rng) + [("special", t) for t in SPECIAL_TEXTS]
        for cat, text in cases:
            ids = tok.encode(SURROGATE.sub("\ufffd", text)).ids
            sys.stdout.write(json.dumps({"model": name, "cat": cat, "text": text, "ids": ids}, ensure_ascii=True) + "\n")
        if name == "bert-base-uncased":
            # pairs as the cross-encoder reads them, longest-first
            texts = [r["text"] for r in rows]
            for i in range(300):
                a, b = rng.choice(texts), rng.choice(texts)
                if i % 3 == 0:
                    b = " ".join([b] * rng.randrange(100, 400))
                ids = tok.encode(a, b).ids
                sys.stdout.write(json.dumps({"model": name, "cat": "pair", "text": a, "pair": b, "ids": ids}, ensure_ascii=True) + "\n")


if __name__ == "__main__":
    main()
