"""Tiny random ELMoForManyLangs model directories, written without torch."""

import json
import os

import numpy as np

from tests.conversion import torch_pickle_writer

CHARACTERS = ["<bow>", "<eow>", "<oov>", "<pad>", "<bos>", "<eos>"] + list(
    "abcdeé한국\u3000"
)
WORDS = ["<oov>", "<pad>", "<bos>", "<eos>", "ab", "한국", "cde"]

TINY_CONFIG = {
    "encoder": {
        "name": "elmo",
        "projection_dim": 5,
        "cell_clip": 3,
        "proj_clip": 3,
        "dim": 7,
        "n_layers": 2,
    },
    "token_embedder": {
        "name": "cnn",
        "activation": "relu",
        "filters": [[1, 2], [2, 3]],
        "n_highway": 1,
        "word_dim": 3,
        "char_dim": 4,
        "max_characters_per_token": 6,
    },
    "classifier": {"name": "sampled_softmax", "n_samples": 4},
    "dropout": 0.1,
}


def state_dicts(config=TINY_CONFIG, seed=0):
    """Random `(token_embedder, encoder)` state dicts in torch layouts."""
    rng = np.random.default_rng(seed)

    def normal(*shape):
        return rng.normal(scale=0.5, size=shape).astype("float32")

    embedder, encoder = config["token_embedder"], config["encoder"]
    token = {}
    if embedder["word_dim"]:
        token["word_emb_layer.embedding.weight"] = normal(
            len(WORDS), embedder["word_dim"]
        )
    token["char_emb_layer.embedding.weight"] = normal(
        len(CHARACTERS), embedder["char_dim"]
    )
    for i, (width, num) in enumerate(embedder["filters"]):
        token[f"convolutions.{i}.weight"] = normal(
            num, embedder["char_dim"], width
        )
        token[f"convolutions.{i}.bias"] = normal(num)
    filters = sum(n for _, n in embedder["filters"])
    for k in range(embedder["n_highway"]):
        token[f"highways._layers.{k}.weight"] = normal(2 * filters, filters)
        token[f"highways._layers.{k}.bias"] = normal(2 * filters)
    token["projection.weight"] = normal(
        encoder["projection_dim"], filters + embedder["word_dim"]
    )
    token["projection.bias"] = normal(encoder["projection_dim"])
    lstm = {}
    proj, cell = encoder["projection_dim"], encoder["dim"]
    for layer in range(encoder["n_layers"]):
        for direction in ("forward", "backward"):
            prefix = f"{direction}_layer_{layer}"
            lstm[f"{prefix}.input_linearity.weight"] = normal(4 * cell, proj)
            lstm[f"{prefix}.state_linearity.weight"] = normal(4 * cell, proj)
            lstm[f"{prefix}.state_linearity.bias"] = normal(4 * cell)
            lstm[f"{prefix}.state_projection.weight"] = normal(proj, cell)
    return token, lstm


def write_dictionary(path, tokens):
    with open(path, "w", encoding="utf-8") as f:
        for i, token in enumerate(tokens):
            # The original writes U+3000 as-is; reading strips it away,
            # leaving a line of one field.
            f.write(f"{token}\t{i}\n")


def make_model_dir(path, fmt="legacy", config=TINY_CONFIG, seed=0):
    """Write a tiny model directory; returns its state dicts.

    Args:
        path: the directory to create.
        fmt: `"legacy"` or `"zip"` torch serialisation.
    """
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump({"config_path": "tiny.json"}, f)
    with open(os.path.join(path, "tiny.json"), "w") as f:
        json.dump(config, f)
    write_dictionary(os.path.join(path, "char.dic"), CHARACTERS)
    write_dictionary(os.path.join(path, "word.dic"), WORDS)
    token, lstm = state_dicts(config, seed)
    write = {
        "legacy": torch_pickle_writer.write_legacy,
        "zip": torch_pickle_writer.write_zip,
    }[fmt]
    write(os.path.join(path, "token_embedder.pkl"), token)
    write(os.path.join(path, "encoder.pkl"), lstm)
    return token, lstm
