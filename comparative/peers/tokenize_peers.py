"""Encode/decode throughput of the Python reference tokenizers, on the same
tokenizers and texts as the criterion suite `tokenizer`
(benches/benches/tokenizer.rs), single thread: `tokenizers`, `tiktoken` (an
Encoding built from the fixture's vocabulary, rank = id; its ids are
reported as equal to HF's or not) and `sentencepiece`.

Run (from the repository root):

    cd comparative && uv run python peers/tokenize_peers.py [--repeats 5]

Texts, ~1 MiB each, built exactly as the bench builds them:
- code: every *.rs file under crates/, sorted by path, concatenated;
- prose: every Markdown file under crates/ and docs/ plus README.md, and
  every `//!` / `///` doc-comment line of the *.rs files;
each repeated to 1 MiB (cut at a character boundary).

Prints one line per (library, model, text, mode): median MB/s and the range.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import sentencepiece as spm  # noqa: E402
import tiktoken  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "crates/realizar-tokenize/tests/fixtures"
SIZE = 1 << 20


def files(d: Path) -> list[Path]:
    return [p for p in d.rglob("*") if p.is_file() and p.suffix in (".rs", ".md")]


def fill(s: str) -> str:
    if not s:
        return s
    b = s.encode()
    # Cut at SIZE bytes, dropping a character the cut would split.
    return (b * (SIZE // len(b) + 1))[:SIZE].decode("utf-8", errors="ignore")


def corpora() -> tuple[str, str]:
    paths = files(ROOT / "crates") + files(ROOT / "docs") + [ROOT / "README.md"]
    # The bench sorts PathBufs, i.e. component by component; these paths share
    # the root, so sorting the relative parts as tuples gives the same order.
    paths.sort(key=lambda p: p.relative_to(ROOT).parts)
    prose, code = [], []
    for p in paths:
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if p.suffix == ".md":
            prose.append(text)
            continue
        code.append(text)
        for line in text.split("\n"):
            line = line.removesuffix("\r")
            t = line.lstrip()
            for mark in ("//!", "///"):
                if t.startswith(mark):
                    doc = t[len(mark):]
                    prose.append((doc[1:] if doc.startswith(" ") else doc) + "\n")
                    break
    return fill("".join(prose)), fill("".join(code))


def split_lines(text: str) -> list[str]:
    """Lines with their newline, as Rust's split_inclusive('\\n')."""
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def timeit(fn, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def report(label: str, nbytes: int, times: list[float]) -> None:
    rates = sorted(nbytes / t / 1e6 for t in times)
    print(f"{label:48s} {statistics.median(rates):8.2f} MB/s  [{rates[0]:.2f} .. {rates[-1]:.2f}]")


GPT2_PATTERN = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
LLAMA3_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)


def byte_decoder() -> dict[str, int]:
    """GPT-2's printable stand-in character of each byte, inverted."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def tiktoken_encoding(model: str):
    """A `tiktoken` Encoding on the fixture's vocabulary (rank = id); its
    rank-order merging need not give HF's ids, which `main` reports."""
    vocab = json.loads((FIXTURES / f"{model}.json").read_text())["model"]["vocab"]
    dec = byte_decoder()
    ranks = {}
    for token, rank in vocab.items():
        if all(c in dec for c in token):
            ranks.setdefault(bytes(dec[c] for c in token), rank)
    pattern = GPT2_PATTERN if model == "gpt2" else LLAMA3_PATTERN
    return tiktoken.Encoding(name=f"fixture-{model}", pat_str=pattern, mergeable_ranks=ranks, special_tokens={})


def whole_and_lines(label: str, texts: dict[str, str], encode, repeats: int) -> None:
    """Reports `encode` on each text whole and line by line."""
    for name, text in texts.items():
        n = len(text.encode())
        lines = split_lines(text)
        report(f"{label} {name} whole", n, timeit(lambda: encode(text), repeats))
        report(f"{label} {name} lines", n, timeit(lambda: [encode(line) for line in lines], repeats))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    prose, code = corpora()
    texts = {"prose": prose, "code": code}
    for model in ["gpt2", "llama3"]:
        tok = Tokenizer.from_file(str(FIXTURES / f"{model}.json"))
        whole_and_lines(f"tokenizers {model}", texts,
                        lambda t: tok.encode(t, add_special_tokens=False), args.repeats)
        ids = tok.encode(prose, add_special_tokens=False).ids
        report(f"tokenizers {model} decode prose", len(prose.encode()),
               timeit(lambda: tok.decode(ids, skip_special_tokens=False), args.repeats))
        enc = tiktoken_encoding(model)
        same = enc.encode_ordinary(prose) == ids
        print(f"tiktoken {model}: ids {'equal' if same else 'differ from'} HF tokenizers' on prose")
        whole_and_lines(f"tiktoken {model}", texts, enc.encode_ordinary, args.repeats)
    for kind in ["bpe", "unigram"]:
        sp = spm.SentencePieceProcessor(model_file=str(FIXTURES / f"spm_{kind}.model"))
        whole_and_lines(f"sentencepiece {kind}", texts, sp.encode, args.repeats)
        ids = sp.encode(prose)
        report(f"sentencepiece {kind} decode prose", len(prose.encode()),
               timeit(lambda: sp.decode(ids), args.repeats))


if __name__ == "__main__":
    main()
