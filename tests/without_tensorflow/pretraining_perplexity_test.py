"""Held-out perplexity of a pretraining run without TensorFlow.

A tiny biLM trained with `keras-elmo train` on JAX or PyTorch, in a process
where TensorFlow cannot be imported, scores the held-out text with
`keras-elmo perplexity` within 5% of the TensorFlow backend's run of the
same recipe, steps and seed, and below the unigram baseline. The
TensorFlow number is `pretraining_reference.json`, which the main suite's
`tests/training/backend_perplexity_test.py` checks against an actual
TensorFlow run.
"""

import json
import os
import random
import subprocess

import pytest

from tests.python_subprocess import REPO_ROOT
from tests.without_tensorflow.pretraining_resume_test import cli_command

REFERENCE_FILE = os.path.join(
    os.path.dirname(__file__), "pretraining_reference.json"
)
TOLERANCE = 0.05
# Recipe `adam` (its warmup capped at a tenth of the run, cosine decay);
# the vocabulary is smaller than the negatives: full softmax.
PERPLEXITY_RUN = [
    "--steps",
    "200",
    "--batch-size",
    "8",
    "--unroll-steps",
    "10",
    "--checkpoint-every",
    "100",
    "--log-every",
    "100",
    "--seed",
    "0",
]
TINY_OPTIONS = {
    "char_cnn": {
        "activation": "relu",
        "embedding": {"dim": 4},
        "filters": [[1, 8], [2, 8]],
        "max_characters_per_token": 50,
        "n_characters": 262,
        "n_highway": 1,
    },
    "lstm": {
        "cell_clip": 3,
        "dim": 16,
        "n_layers": 1,
        "proj_clip": 3,
        "projection_dim": 8,
        "use_skip_connections": False,
    },
}


def write_corpus(directory):
    """The toy corpus of docs/training.md: train, held-out and test text.

    Sentences `the N V the N .` of a small grammar: a biLM that learns the
    positions beats the unigram model by far (8.2 against about 2.3).
    """
    rng = random.Random(0)
    nouns, verbs = ["cat", "dog", "bird", "child"], ["sees", "hears", "likes"]

    def sentence():
        return " ".join(
            ["the", rng.choice(nouns), rng.choice(verbs), "the"]
            + [rng.choice(nouns), "."]
        )

    os.makedirs(directory / "train", exist_ok=True)
    for name, count in (
        ("train/part-0.txt", 300),
        ("heldout.txt", 40),
        ("test.txt", 40),
    ):
        with open(directory / name, "w") as f:
            f.write("\n".join(sentence() for _ in range(count)) + "\n")
    with open(directory / "options.json", "w") as f:
        json.dump(TINY_OPTIONS, f)
    return directory


def _run(arguments, backend, block_tensorflow):
    command = cli_command(*arguments)
    if not block_tensorflow:
        command = [command[0], "-m", "keras_elmo.cli.main", *command[3:]]
    result = subprocess.run(
        command,
        cwd=REPO_ROOT,
        env={
            **os.environ,
            "KERAS_BACKEND": backend,
            "PYTHONPATH": str(REPO_ROOT),
        },
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return result.stdout


def train_and_score(directory, backend, block_tensorflow=True):
    """Train `PERPLEXITY_RUN` on `backend`; the `perplexity --json` dict."""
    corpus = directory / "corpus"
    if not (corpus / "test.txt").exists():
        write_corpus(corpus)
        _run(
            [
                "build-vocab",
                corpus / "train" / "*.txt",
                "--output",
                corpus / "vocab.txt",
                "--min-count",
                "1",
            ],
            backend,
            block_tensorflow,
        )
    run_dir = directory / f"run_{backend}"
    _run(
        [
            "train",
            "--train",
            corpus / "train" / "*.txt",
            "--validation",
            corpus / "heldout.txt",
            "--vocabulary",
            corpus / "vocab.txt",
            "--options",
            corpus / "options.json",
            "--output-dir",
            run_dir,
            *PERPLEXITY_RUN,
            "--quiet",
        ],
        backend,
        block_tensorflow,
    )
    output = _run(
        [
            "perplexity",
            run_dir / "export",
            corpus / "test.txt",
            "--train",
            corpus / "train" / "*.txt",
            "--json",
        ],
        backend,
        block_tensorflow,
    )
    return json.loads(output.strip().splitlines()[-1])


def reference():
    with open(REFERENCE_FILE) as f:
        return json.load(f)


@pytest.mark.large
@pytest.mark.parametrize(
    "tensorflow_free_backend", ["jax", "torch"], indirect=True
)
def test_held_out_perplexity_as_tensorflow_and_below_unigram(
    tmp_path, tensorflow_free_backend
):
    result = train_and_score(tmp_path, tensorflow_free_backend)
    perplexity = result["bilm"]["perplexity"]
    expected = reference()
    unigram = result["unigram_add_one"]["perplexity"]
    assert unigram == pytest.approx(expected["unigram_add_one_perplexity"])
    assert perplexity < unigram / 3
    assert perplexity == pytest.approx(
        expected["tensorflow_perplexity"], rel=TOLERANCE
    )
