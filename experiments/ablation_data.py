"""Data for the ELMo ablations: tasks, word vocabularies, cached biLM layers.

With a frozen biLM, a task model sees the same biLM layers for a sentence in
every epoch and every configuration, so they are computed once per sentence
(all `n_layers + 1` layers, `keras_elmo.ELMoEmbedder(output="all")`) and
stored in an hdf5 cache; the task models mix them with `WeightedLayerMix`.
That is exactly a frozen `keras_elmo.ELMoEmbedding`, without running the
biLM in every step.

Task folders are those of `tools/prepare_ablation_data.py`: `*.tsv`
(`label<TAB>text`) for classification, `*.conll` (`token<TAB>tag`, blank
line between sentences) for tagging.
"""

import collections
import hashlib
import json
import os
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import h5py
import numpy as np

from tools.prepare_ablation_data import read_conll

# The biLM's state at each sentence start (`FeatureCache(initial_state=)`).
INITIAL_STATES = ("zeros", "warm", "stateful")

SPLITS = ("train", "dev", "test")
CLASSIFICATION = "classification"
TAGGING = "tagging"
PAD_ID = 0
UNK_ID = 1


@dataclass
class Split:
    """One split of a task: sentences and their gold labels.

    Attributes:
        tokens: list of token lists.
        labels: list of int (classification) or of int lists (tagging).
        features: list of float32 arrays `[n_layers + 1, n, dim]`, one per
            sentence, or `None` until `attach_features` is called.
    """

    tokens: list
    labels: list
    features: list = None


@dataclass
class Task:
    """A labelled task: its kind, label names and splits."""

    name: str
    kind: str
    label_names: list
    splits: dict = field(default_factory=dict)


def _read_tsv(path):
    examples = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            line = line.rstrip("\n")
            if not line:
                continue
            fields = line.split("\t")
            if len(fields) != 2 or not fields[1].split():
                raise ValueError(
                    f"{path}:{number}: expected 'label<TAB>text', got {line!r}"
                )
            examples.append((fields[0], fields[1].split()))
    return examples


def load_task(data_dir, name, limits=None):
    """Read a task folder written by `prepare_ablation_data.py`.

    Args:
        data_dir: str. The folder holding one folder per task.
        name: str. The task folder, e.g. `"polarity"` or `"pos_brown"`.
        limits: dict split -> int or None. Keep only the first N sentences
            of a split (the prepared splits are already shuffled, so this
            is a fixed random subset).

    Returns:
        A `Task`; labels are indices into `task.label_names` (sorted names
        seen in any split).

    Example:

    >>> task = load_task("data/ablation", "pos_brown", {"train": 2000})
    """
    folder = Path(data_dir) / name
    limits = limits or {}
    if all((folder / f"{s}.tsv").is_file() for s in SPLITS):
        kind, reader, suffix = CLASSIFICATION, _read_tsv, "tsv"
    elif all((folder / f"{s}.conll").is_file() for s in SPLITS):
        kind, reader, suffix = TAGGING, read_conll, "conll"
    else:
        raise FileNotFoundError(
            f"Task {name!r}: {folder} must hold train/dev/test .tsv "
            "(classification) or .conll (tagging) files; run "
            "tools/prepare_ablation_data.py first."
        )
    raw = {}
    for split in SPLITS:
        examples = reader(folder / f"{split}.{suffix}")
        limit = limits.get(split)
        if limit is not None:
            if limit < 1:
                raise ValueError(
                    f"Limit of {name}/{split} must be >= 1. Received: {limit}"
                )
            examples = examples[:limit]
        if not examples:
            raise ValueError(f"{folder / f'{split}.{suffix}'} is empty.")
        raw[split] = examples
    if kind == CLASSIFICATION:
        names = sorted({label for ex in raw.values() for label, _ in ex})
    else:
        names = sorted({tag for ex in raw.values() for s in ex for _, tag in s})
    index = {label: i for i, label in enumerate(names)}
    task = Task(name=name, kind=kind, label_names=names)
    for split, examples in raw.items():
        if kind == CLASSIFICATION:
            tokens = [words for _, words in examples]
            labels = [index[label] for label, _ in examples]
        else:
            tokens = [[w for w, _ in s] for s in examples]
            labels = [[index[t] for _, t in s] for s in examples]
        task.splits[split] = Split(tokens=tokens, labels=labels)
    return task


def build_word_vocabulary(token_lists, min_count=2):
    """Task word vocabulary: `{token: id}`, ids from 2 (0 pad, 1 unknown).

    Tokens seen fewer than `min_count` times map to the unknown id, so its
    vector is trained on rare words.

    Example:

    >>> build_word_vocabulary([["a", "b", "a"]], min_count=2)
    {'a': 2}
    """
    counts = collections.Counter(t for tokens in token_lists for t in tokens)
    kept = sorted(
        (t for t, c in counts.items() if c >= min_count),
        key=lambda t: (-counts[t], t),
    )
    return {token: i + 2 for i, token in enumerate(kept)}


def word_ids(tokens, vocabulary):
    """Ids of a token list (unknown tokens -> `UNK_ID`)."""
    return [vocabulary.get(t, UNK_ID) for t in tokens]


def file_sha256(path):
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sentences_sha256(token_lists):
    """Hex SHA-256 of token lists (what a cache entry was computed for)."""
    digest = hashlib.sha256()
    for tokens in token_lists:
        digest.update(json.dumps(tokens).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


class FeatureCache:
    """biLM layers of sentences, computed once and kept in hdf5 files.

    One file per list of sentences, named by the hash of the biLM files
    and of the sentences, so another model or another subset never reuses
    stale vectors. A file holds `features` (float32
    `[total_tokens, n_layers + 1, dim]`, sentences one after another) and
    `offsets` (`[n_sentences + 1]`).

    Args:
        cache_dir: str. Where the files go.
        options_file: str. biLM `options.json`.
        weight_file: str. biLM hdf5 weights.
        batch_size: int. Sentences per biLM batch. Defaults to `64`.

    Example:

    ```python
    cache = FeatureCache("runs/cache", "options.json", "weights.hdf5")
    layers = cache.get("polarity-train", [["a", "fine", "film"]])
    layers[0].shape  # (3, 3, 256)
    ```
    """

    def __init__(
        self,
        cache_dir,
        options_file,
        weight_file,
        batch_size=64,
        initial_state="zeros",
        warm_state_file=None,
    ):
        if initial_state not in INITIAL_STATES:
            raise ValueError(
                f"`initial_state` must be one of {INITIAL_STATES}. "
                f"Received: {initial_state!r}"
            )
        paths = [options_file, weight_file]
        if initial_state == "warm":
            paths.append(warm_state_file)
        for path in paths:
            if path is None or not os.path.isfile(path):
                raise FileNotFoundError(f"biLM file not found: {path}")
        self.options_file = str(options_file)
        self.weight_file = str(weight_file)
        self.batch_size = int(batch_size)
        self.initial_state = initial_state
        self.warm_state_file = warm_state_file
        key = file_sha256(options_file) + file_sha256(weight_file)
        if initial_state != "zeros":
            # Other starting states give other features: another cache.
            key += initial_state
            if initial_state == "warm":
                key += file_sha256(warm_state_file)
        model_hash = hashlib.sha256(key.encode()).hexdigest()[:16]
        self.model_hash = model_hash
        self.directory = Path(cache_dir) / model_hash
        self._embedder = None

    def _embed(self, token_lists):
        if self.initial_state == "stateful":
            return stateful_layers(
                self.options_file, self.weight_file, token_lists
            )
        if self._embedder is None:
            from keras_elmo.inference.elmo_embedder import ELMoEmbedder
            from keras_elmo.models.elmo import ELMo
            from keras_elmo.presets.warm_state import read_warm_state

            model = ELMo.from_bilm_hdf5(
                self.options_file,
                self.weight_file,
                initial_state=self.initial_state,
            )
            if self.initial_state == "warm":
                model.set_warm_state(read_warm_state(self.warm_state_file))
            self._embedder = ELMoEmbedder(model, batch_size=self.batch_size)
        return self._embedder.embed_sentences(
            token_lists, output="all", progress=True
        )

    def get(self, key, token_lists):
        """The layers of each sentence (computed and stored if needed).

        Args:
            key: str. A readable file-name prefix, e.g. `"polarity-dev"`.
            token_lists: list of non-empty token lists.

        Returns:
            A list of float32 arrays `[n_layers + 1, n_tokens, dim]`.
        """
        digest = sentences_sha256(token_lists)[:16]
        path = self.directory / f"{key}-{digest}.hdf5"
        if not path.is_file():
            layers = self._embed(token_lists)
            offsets = np.cumsum([0] + [len(t) for t in token_lists])
            self.directory.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + f".tmp{os.getpid()}")
            with h5py.File(tmp, "w") as f:
                # (total_tokens, n_layers + 1, dim)
                f["features"] = np.concatenate(
                    [np.transpose(x, (1, 0, 2)) for x in layers]
                ).astype("float32")
                f["offsets"] = offsets
            os.replace(tmp, path)
        with h5py.File(path, "r") as f:
            features = f["features"][()]
            offsets = f["offsets"][()]
        if len(offsets) != len(token_lists) + 1:
            raise ValueError(f"Corrupt feature cache {path}: wrong size.")
        return [
            np.transpose(features[a:b], (1, 0, 2))  # (layers, n, dim)
            for a, b in zip(offsets[:-1], offsets[1:])
        ]


def stateful_layers(options_file, weight_file, token_lists):
    """Every biLM layer of each sentence, the state carried in order.

    bilm-tf's `dump_bilm_embeddings` way: one sentence at a time, in the
    given order, each starting from the state the previous one left.

    Returns:
        A list of float32 arrays `[n_layers + 1, n_tokens, dim]`.
    """
    import tensorflow as tf

    from keras_elmo.models.elmo import ELMo
    from keras_elmo.models.sentence_markers import remove_sentence_markers
    from keras_elmo.preprocessing.elmo_characters import batch_to_char_ids

    model = ELMo.from_bilm_hdf5(
        options_file, weight_file, stateful=True, max_batch_size=1
    )
    max_chars = model.max_characters_per_token

    @tf.function(input_signature=[tf.TensorSpec([1, None, max_chars], "int32")])
    def forward(char_ids):
        return remove_sentence_markers(model(char_ids))["layers"]

    return [
        np.asarray(forward(batch_to_char_ids([t], max_chars=max_chars))[0])
        for t in token_lists
    ]


def attach_features(task, cache):
    """Fill `split.features` of every split of `task` from `cache`."""
    for name, split in task.splits.items():
        split.features = cache.get(f"{task.name}-{name}", split.tokens)
        for tokens, layers in zip(split.tokens, split.features):
            if layers.shape[1] != len(tokens):
                raise ValueError(
                    f"{task.name}/{name}: cached layers do not match the "
                    "sentences; delete the cache directory."
                )


class Batches:
    """Length-bucketed, padded batches of one split.

    `batches[i]` is a NumPy batch; `batches.dataset()` is a `tf.data`
    pipeline of them for `model.fit` (re-bucketed every epoch when
    shuffling), with the variable batch and sequence sizes declared as
    `None`.

    Sentences of similar length are batched together (sorted within
    windows of 20 batches after a seeded shuffle) and padded to a multiple
    of `pad_multiple` tokens, so that few distinct shapes are traced.

    Inputs: `word_ids` int32 `[b, t]` (0 = padding) and, if `use_elmo`,
    `elmo_layers` float32 `[b, n_layers + 1, t, dim]`. Targets: `[b]`
    class ids, or `[b, t]` tag ids with sample weights `[b, t]` (1 at real
    tokens).

    Args:
        task: `Task`. Its kind selects the target shapes.
        split: `Split`.
        vocabulary: dict token -> id.
        batch_size: int.
        use_elmo: bool. Include the cached biLM layers.
        shuffle: bool. Reshuffle each epoch (training).
        seed: int. Seed of the shuffling.
        pad_multiple: int. Batch lengths are rounded up to a multiple of
            this. Defaults to `8`.
    """

    def __init__(
        self,
        task,
        split,
        vocabulary,
        batch_size,
        use_elmo,
        shuffle,
        seed=0,
        pad_multiple=8,
    ):
        if use_elmo and split.features is None:
            raise ValueError("`use_elmo=True` needs `attach_features` first.")
        self.kind = task.kind
        self.split = split
        self.ids = [word_ids(t, vocabulary) for t in split.tokens]
        self.batch_size = int(batch_size)
        self.use_elmo = use_elmo
        self.shuffle = shuffle
        self.pad_multiple = int(pad_multiple)
        self.rng = np.random.default_rng(seed)
        self.batches = self._make_batches()
        self._passes = 0

    def _make_batches(self):
        order = np.arange(len(self.ids))
        lengths = np.array([len(x) for x in self.ids])
        if self.shuffle:
            order = self.rng.permutation(order)
        window = self.batch_size * 20
        batches = []
        for start in range(0, len(order), window):
            chunk = order[start : start + window]
            chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
            for b in range(0, len(chunk), self.batch_size):
                batches.append(chunk[b : b + self.batch_size])
        if self.shuffle:
            batches = [batches[i] for i in self.rng.permutation(len(batches))]
        return batches

    def __len__(self):
        return len(self.batches)

    def dataset(self):
        """A `tf.data.Dataset` of all batches; each pass is a new epoch."""
        import tensorflow as tf

        def generate():
            if self.shuffle and self._passes:
                self.batches = self._make_batches()
            self._passes += 1
            for index in range(len(self)):
                yield self[index]

        first = self[0]
        signature = tf.nest.map_structure(
            lambda x: tf.TensorSpec((None,) * x.ndim, tf.as_dtype(x.dtype)),
            first,
        )
        if self.use_elmo:  # (b, layers, t, dim): layers and dim are fixed
            layers, dim = first[0]["elmo_layers"].shape[1::2]
            signature[0]["elmo_layers"] = tf.TensorSpec(
                (None, layers, None, dim), tf.float32
            )
        dataset = tf.data.Dataset.from_generator(
            generate, output_signature=signature
        )
        return dataset.apply(tf.data.experimental.assert_cardinality(len(self)))

    def __getitem__(self, index):
        rows = self.batches[index]
        longest = max(len(self.ids[i]) for i in rows)
        length = -(-longest // self.pad_multiple) * self.pad_multiple
        ids = np.zeros((len(rows), length), "int32")  # (b, t)
        for r, i in enumerate(rows):
            ids[r, : len(self.ids[i])] = self.ids[i]
        inputs = {"word_ids": ids}
        if self.use_elmo:
            first = self.split.features[rows[0]]
            elmo = np.zeros(
                (len(rows), first.shape[0], length, first.shape[2]), "float32"
            )  # (b, layers, t, dim)
            for r, i in enumerate(rows):
                layers = self.split.features[i]
                elmo[r, :, : layers.shape[1]] = layers
            inputs["elmo_layers"] = elmo
        if self.kind == CLASSIFICATION:
            labels = np.array([self.split.labels[i] for i in rows], "int32")
            return inputs, labels
        tags = np.zeros((len(rows), length), "int32")  # (b, t)
        for r, i in enumerate(rows):
            tags[r, : len(self.split.labels[i])] = self.split.labels[i]
        weights = (ids != PAD_ID).astype("float32")  # (b, t)
        return inputs, tags, weights
