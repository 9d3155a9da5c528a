"""`ELMoEmbedder`: sentences in, NumPy ELMo vectors out."""

import codecs
import itertools
import json
import os

import h5py
import keras
import numpy as np

from keras_elmo.layers.weighted_layer_mix import WeightedLayerMix
from keras_elmo.models.elmo import ELMo
from keras_elmo.models.sentence_markers import remove_sentence_markers
from keras_elmo.preprocessing.elmo_characters import batch_to_char_ids
from keras_elmo.preprocessing.elmo_characters import split_on_whitespace
from keras_elmo.preprocessing.text_tokenizer import TextTokenizer
from keras_elmo.presets.preset_directory import write_preset
from keras_elmo.presets.preset_loader import get_preset_loader
from keras_elmo.utils.atomic import atomic_path
from keras_elmo.utils.backend import default_jit_compile
from keras_elmo.utils.progress import progress_bar
from keras_elmo.utils.text_lines import check_sentence_length
from keras_elmo.utils.validation import check_positive_int

OUTPUTS = ("all", "top", "average", "elmo")

# A compiled forward (XLA, jax.jit) is specialised to one input shape, so
# batches are padded to a few shapes: token positions up to the next of
# these widths (at most 1/4 of padding past 32 positions), and rows up to a
# power of two. Padding positions are masked: they change no output.
_WIDTH_BUCKETS = (8, 16, 24, 32, 40, 48, 64, 80, 96, 128, 160, 192, 256)


def bucket_width(width):
    """The padded number of token positions for a batch `width` wide.

    Args:
        width: int. Token positions of the batch's longest sentence,
            markers included.

    Returns:
        int >= `width`: the next bucket, or the next multiple of 64 past
        the largest bucket.

    Example:

    >>> bucket_width(22)
    24
    """
    for bucket in _WIDTH_BUCKETS:
        if width <= bucket:
            return bucket
    return -(-width // 64) * 64


def bucket_rows(rows, max_rows):
    """`rows` rounded up to a power of two, at most `max(rows, max_rows)`.

    Example:

    >>> bucket_rows(5, 64)
    8
    """
    return max(rows, min(1 << (rows - 1).bit_length(), max_rows))


class _EmbedderForward(keras.Model):
    """Character ids -> (every biLM layer, the layer mix), markers removed.

    A Keras model so that `predict_on_batch` runs it compiled on every
    backend (a TensorFlow graph with XLA, `jax.jit`, or eager PyTorch).
    """

    def __init__(self, elmo, layer_mix, **kwargs):
        super().__init__(**kwargs)
        self.elmo = elmo
        self.layer_mix = layer_mix
        self.built = True

    def call(self, character_ids):
        words = remove_sentence_markers(self.elmo(character_ids))
        mixed = self.layer_mix(words["layers"], mask=words["mask"])
        return words["layers"], mixed  # (b, L, t, dim), (b, t, dim)


def _tokens(sentence, index, text_tokenizer):
    if isinstance(sentence, (str, bytes)):
        if text_tokenizer is not None:
            if isinstance(sentence, bytes):
                try:
                    sentence = sentence.decode("utf-8")
                except UnicodeDecodeError as error:
                    raise ValueError(
                        f"Sentence {index} is not valid UTF-8 (byte "
                        f"{sentence[error.start]:#04x} at byte offset "
                        f"{error.start}). Received: {sentence!r:.80}"
                    ) from None
            return text_tokenizer.tokenize(sentence)
        # ASCII whitespace only, as the served graph and training data.
        return split_on_whitespace(sentence)
    try:
        return list(sentence)
    except TypeError:
        raise TypeError(
            f"Sentence {index} must be a string or a list of tokens. "
            f"Received: {sentence!r}"
        ) from None


def _check_file_paths(input_file, output_file):
    # Every check before the output is touched: a bad call loses nothing.
    if os.path.isdir(input_file):
        raise IsADirectoryError(
            f"Input is a directory, not a text file: {input_file}"
        )
    if not os.path.isfile(input_file):
        raise FileNotFoundError(f"Input file not found: {input_file}")
    if os.path.isdir(output_file):
        raise IsADirectoryError(
            f"Output is a directory; give an hdf5 file path: {output_file}"
        )
    same = os.path.realpath(input_file) == os.path.realpath(output_file)
    if same or (
        os.path.exists(output_file)
        and os.path.samefile(input_file, output_file)
    ):
        raise ValueError(
            "The output file is the input file; it would replace the text "
            f"with the vectors. Received: input_file={input_file}, "
            f"output_file={output_file}"
        )


def _read_lines(input_file):
    """Yield `(index, text)` of each line, decoded, without its ending.

    Only `\\n` ends a line (so line `i` of the file is sentence `i`, as
    other tools count); a trailing `\\r` (CRLF files) is dropped, and a lone
    `\\r` inside a line is whitespace. A UTF-8 byte-order mark at the start
    of the file is dropped.
    """
    with open(input_file, "rb") as lines:
        for index, raw in enumerate(lines):
            if raw.endswith(b"\n"):
                raw = raw[:-1]
            if raw.endswith(b"\r"):
                raw = raw[:-1]
            if index == 0 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            try:
                yield index, raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise ValueError(
                    f"{input_file}, line {index + 1}: not valid UTF-8 "
                    f"(byte {raw[error.start]:#04x} at column "
                    f"{error.start + 1})."
                ) from None


class ELMoEmbedder:
    """Embed sentences with a trained ELMo, as NumPy arrays per sentence.

    Sentences are independent (the biLM is stateless here), sorted by
    length into batches so that little padding is computed, and returned in
    the input order without the `<S>`/`</S>` positions.

    Args:
        model: a `keras_elmo.ELMo`.
        layer_mix: a `WeightedLayerMix` over the `n_layers + 1` biLM layers
            for `output="elmo"`; `None` means an equal average scaled by 1
            (the mix at initialisation).
        batch_size: int. Sentences per batch. Defaults to `64`.
        max_tokens_per_batch: int. Also cap a batch at this many token
            positions (sentences x longest, markers included), so that a
            batch of long sentences does not set the peak memory. Defaults
            to `4096`.
        tokenizer: an object with `batch_to_ids(token_lists)` returning the
            model's int32 ids with sentence markers (e.g. the
            `VocabularyCharacterTokenizer` of an ELMoForManyLangs preset),
            or `None` for the UTF-8 bytes of bilm-tf models
            (`batch_to_char_ids`). Defaults to `None`.
        text_tokenizer: a `keras_elmo.TextTokenizer` for raw-string
            sentences, or `None`: strings are split on whitespace unless
            `embed_sentences(..., tokenize=True)`. `from_preset` passes the one
            recorded in the preset (`text_tokenizer.json`).
        jit_compile: bool or `"auto"`. Compile the forward: XLA on
            TensorFlow, `jax.jit` on JAX; `"auto"` picks the fastest
            measured choice of the backend (`docs/performance.md`).
            Defaults to `"auto"`.

    Example:

    ```python
    embedder = keras_elmo.ELMoEmbedder.from_preset("elmo_tiny_en")
    vectors = embedder.embed_sentences(["The cat sat .", "Hello !"])
    vectors[0].shape  # (3, 4, 2 * projection_dim)
    # Raw text: "mat." becomes "mat", "."; a leading BOM is dropped.
    vectors = embedder.embed_sentences(["The cat sat."], tokenize=True)
    ```
    """

    def __init__(
        self,
        model,
        layer_mix=None,
        batch_size=64,
        max_tokens_per_batch=4096,
        tokenizer=None,
        text_tokenizer=None,
        jit_compile="auto",
    ):
        if int(batch_size) < 1:
            raise ValueError(
                f"`batch_size` must be positive. Received: {batch_size}"
            )
        if int(max_tokens_per_batch) < 1:
            raise ValueError(
                "`max_tokens_per_batch` must be positive. Received: "
                f"{max_tokens_per_batch}"
            )
        if text_tokenizer is not None and not isinstance(
            text_tokenizer, TextTokenizer
        ):
            raise TypeError(
                "`text_tokenizer` must be a keras_elmo.TextTokenizer or None. "
                f"Received: text_tokenizer={text_tokenizer!r}"
            )
        self.model = model
        self.text_tokenizer = text_tokenizer
        self.batch_size = int(batch_size)
        self.max_tokens_per_batch = int(max_tokens_per_batch)
        if layer_mix is None:
            layer_mix = WeightedLayerMix(num_layers=model.num_layers + 1)
        self.layer_mix = layer_mix
        self._max_chars = model.max_characters_per_token
        self.tokenizer = tokenizer
        if tokenizer is not None and (
            getattr(tokenizer, "ids_per_token", None) != model.ids_per_token
        ):
            raise ValueError(
                "The tokenizer makes "
                f"{getattr(tokenizer, 'ids_per_token', None)} ids per token; "
                f"the model reads {model.ids_per_token}."
            )

        if not layer_mix.built:
            layer_mix.build((None, model.num_layers + 1, None, None))
        self._forward = _EmbedderForward(
            model, layer_mix, name="elmo_embedder_forward"
        )
        if jit_compile == "auto":
            jit_compile = default_jit_compile()
        self.jit_compile = jit_compile

    @property
    def jit_compile(self):
        """Whether the forward is compiled (XLA / jax.jit / torch.compile).

        When it is, batches are padded to a few shapes (`bucket_width`,
        `bucket_rows`) so that a file of sentences of every length compiles
        a bounded number of programs.
        """
        return self._forward.jit_compile

    @jit_compile.setter
    def jit_compile(self, value):
        self._forward.jit_compile = bool(value)

    @classmethod
    def from_preset(
        cls, handle, load_weights=True, initial_state="zeros", **kwargs
    ):
        """An embedder of a preset: a built-in name, a directory, an archive
        or a URL.

        `handle` may also be an ELMoForManyLangs model directory (read
        directly, see `keras_elmo.conversion.elmoformanylangs`), its
        archive, or a preset converted from one (`keras-elmo convert`);
        their tokenizer comes with them.

        Args:
            handle: str. See `keras_elmo.ELMo.from_preset`.
            load_weights: bool. Load the trained biLM and layer mix;
                `False` gives fresh weights. Defaults to `True`.
            initial_state: str. `"zeros"`, or `"warm"`: every sentence
                starts from the preset's `warm_state.npz` (see
                docs/determinism.md). Defaults to `"zeros"`.
            **kwargs: other `ELMoEmbedder` arguments (`batch_size`, ...).

        Returns:
            An `ELMoEmbedder`; the preset's trained `layer_mix.json`, when
            present, gives `output="elmo"`, and its `text_tokenizer.json`
            tokenizes raw strings.

        Example:

        >>> embedder = ELMoEmbedder.from_preset("elmo_tiny_en")
        """
        loader = get_preset_loader(handle)
        model = loader.load_elmo(
            ELMo, load_weights, initial_state=initial_state
        )
        layer_mix = None
        mix = loader.load_layer_mix() if load_weights else None
        if mix is not None:
            layer_mix = WeightedLayerMix(num_layers=model.num_layers + 1)
            layer_mix.build((None, model.num_layers + 1, None, None))
            try:
                layer_mix.set_mix(*mix)
            except ValueError as error:  # e.g. a mix for another model
                raise ValueError(
                    f"Invalid {loader.layer_mix_file()}: {error}"
                ) from None
        kwargs.setdefault("tokenizer", loader.load_tokenizer())
        kwargs.setdefault("text_tokenizer", loader.load_text_tokenizer())
        return cls(model, layer_mix=layer_mix, **kwargs)

    def save_to_preset(self, preset_dir, metadata=None, model_card=None):
        """Write the biLM, the layer mix and the text tokenizer as a preset.

        Atomic. The `text_tokenizer`, if any, goes to `text_tokenizer.json`.

        Example:

        >>> embedder.save_to_preset("my_elmo")
        """
        with write_preset(preset_dir) as writer:
            self.model.write_preset_files(writer, metadata, model_card)
            writer.write_layer_mix(
                self.layer_mix.scalar_weights[0].numpy(),
                self.layer_mix.gammas[0].numpy(),
            )
            if self.text_tokenizer is not None:
                writer.write_text_tokenizer(self.text_tokenizer)

    @classmethod
    def from_bilm_hdf5(cls, options_file, weight_file, **kwargs):
        """An embedder for an original options.json + hdf5 pair.

        Example:

        >>> embedder = ELMoEmbedder.from_bilm_hdf5("options.json", "w.hdf5")
        """
        return cls(ELMo.from_bilm_hdf5(options_file, weight_file), **kwargs)

    def _padded_width(self, width):
        return bucket_width(width) if self.jit_compile else width

    def _embed_batch(self, token_lists, output):
        if self.tokenizer is not None:
            ids = self.tokenizer.batch_to_ids(token_lists)
        else:
            ids = batch_to_char_ids(token_lists, max_chars=self._max_chars)
        if self.jit_compile:
            rows, width = ids.shape[:2]
            width = bucket_width(width)
            max_rows = min(self.batch_size, self.max_tokens_per_batch // width)
            padded = np.zeros(
                (bucket_rows(rows, max_rows), width, ids.shape[2]),
                ids.dtype,
            )  # all-zero ids are padding: masked, zero outputs
            padded[:rows, : ids.shape[1]] = ids
            ids = padded
        layers, mixed = self._forward.predict_on_batch(ids)
        layers = keras.ops.convert_to_numpy(layers)  # (b, L, t, dim)
        mixed = keras.ops.convert_to_numpy(mixed)  # (b, t, dim)
        results = []
        for row, tokens in enumerate(token_lists):
            n = len(tokens)
            if output == "all":
                results.append(layers[row, :, :n])  # (layers, n, dim)
            elif output == "top":
                results.append(layers[row, -1, :n])  # (n, dim)
            elif output == "average":
                results.append(layers[row, :, :n].mean(axis=0))  # (n, dim)
            else:
                results.append(mixed[row, :n])  # (n, dim)
        return results

    def _tokenizer_for(self, tokenize):
        if isinstance(tokenize, TextTokenizer):
            return tokenize
        if tokenize is None:
            return self.text_tokenizer
        if not isinstance(tokenize, bool):
            raise TypeError(
                "`tokenize` must be None, a bool or a TextTokenizer. "
                f"Received: tokenize={tokenize!r}"
            )
        if not tokenize:
            return None
        return self.text_tokenizer or TextTokenizer()

    def embed_sentences(
        self,
        sentences,
        output="all",
        batch_size=None,
        progress=False,
        tokenize=None,
    ):
        """Embed sentences given as raw strings or token lists.

        Args:
            sentences: iterable of str (or UTF-8 bytes) or of token lists.
                Token lists are used as they are; strings are tokenized as
                `tokenize` says (by default on runs of ASCII whitespace, see
                `keras_elmo.preprocessing.elmo_characters.
                split_on_whitespace`). A single str is refused (it would be
                read as one sentence per character).
            output: `"all"` (every layer, `[n_layers + 1, n, dim]`), `"top"`
                (`[n, dim]`), `"average"` of the layers (`[n, dim]`) or
                `"elmo"` (the layer mix, `[n, dim]`). Defaults to `"all"`.
            batch_size: int or `None` (the embedder's).
            progress: bool. Show a progress bar. Defaults to `False`.
            tokenize: how strings become tokens. `None`: the embedder's
                `text_tokenizer` if it has one, else whitespace splitting;
                `True`: the embedder's tokenizer, else a default
                `TextTokenizer()` (NFC, punctuation split); `False`:
                whitespace only; or a `TextTokenizer`. Defaults to `None`.

        Returns:
            A list of float32 NumPy arrays, one per sentence (one row per
            token), in order.

        Example:

        >>> embedder.embed_sentences([["Hello", "world"]], output="top")
        """
        if output not in OUTPUTS:
            raise ValueError(
                f"`output` must be one of {OUTPUTS}. Received: {output!r}"
            )
        if isinstance(sentences, (str, bytes)):
            raise TypeError(
                "`sentences` must be a list of sentences, not a single "
                f"string. Received: {sentences!r:.80}. Use "
                "`embed_sentence(text)` or `embed_sentences([text])`."
            )
        batch_size = batch_size or self.batch_size
        text_tokenizer = self._tokenizer_for(tokenize)
        token_lists = [
            _tokens(s, i, text_tokenizer) for i, s in enumerate(sentences)
        ]
        order = sorted(
            range(len(token_lists)), key=lambda i: len(token_lists[i])
        )
        results = [None] * len(token_lists)
        bar = progress_bar(progress, total=len(order), unit="sentence")
        for rows in self._batches(order, token_lists, batch_size):
            batch = self._embed_batch([token_lists[i] for i in rows], output)
            for i, vectors in zip(rows, batch):
                results[i] = vectors
            bar.update(len(rows))
        bar.close()
        return results

    def _batches(self, order, token_lists, batch_size):
        # `order` is sorted by length, so the last row of a batch is its
        # longest: close the batch before it would exceed the token budget.
        rows = []
        for i in order:
            width = self._padded_width(len(token_lists[i]) + 2)
            if rows and (
                len(rows) == batch_size
                or (len(rows) + 1) * width > self.max_tokens_per_batch
            ):
                yield rows
                rows = []
            rows.append(i)
        if rows:
            yield rows

    def embed_sentence(self, sentence, output="all", tokenize=None):
        """Embed one sentence (str or token list); see `embed_sentences`."""
        return self.embed_sentences(
            [sentence], output=output, tokenize=tokenize
        )[0]

    def embed_file(
        self,
        input_file,
        output_file,
        output="all",
        chunk_size=4096,
        progress=False,
        tokenize=None,
    ):
        """Embed a text file (one sentence a line) into an hdf5 file.

        The layout is AllenNLP's `elmo` command's: dataset `str(i)` for
        line `i` (`[n_layers + 1, n, dim]` for `"all"`, `[n, dim]`
        otherwise) and dataset `sentence_to_index`, a JSON map from each
        sentence to its line index as a string (the last line wins for
        repeated sentences). Lines are read and written in chunks,
        so memory is bounded by `chunk_size`, not by the file. The output
        appears atomically when complete.

        Lines end at `\\n` only, so sentence `i` is line `i + 1` of the file
        whatever else it holds (a trailing `\\r` is dropped; a `\\r` inside a
        line is whitespace). A UTF-8 byte-order mark at the start is
        dropped. Every argument is checked before the output is touched.

        Args:
            input_file: str. UTF-8 text, one sentence a line, tokenized
                as `tokenize` says (a byte-order mark at the start of the
                file is skipped). Invalid UTF-8, or a sentence of more than
                `keras_elmo.utils.text_lines.MAX_TOKENS_PER_SENTENCE`
                tokens, is an error naming the line.
            output_file: str. Destination hdf5 file; not the input file.
            output: see `embed_sentences`. Defaults to `"all"`.
            chunk_size: int. Lines sorted and embedded together; positive.
            progress: bool. Show a progress bar. Defaults to `False`.
            tokenize: see `embed_sentences`. Defaults to `None`.

        Returns:
            The number of sentences written.

        Example:

        >>> embedder.embed_file("sentences.txt", "elmo.hdf5", output="top")
        """
        chunk_size = check_positive_int(chunk_size, "chunk_size")
        if output not in OUTPUTS:
            raise ValueError(
                f"`output` must be one of {OUTPUTS}. Received: {output!r}"
            )
        _check_file_paths(input_file, output_file)
        text_tokenizer = self._tokenizer_for(tokenize)
        sentence_to_index = {}
        count = 0
        bar = progress_bar(progress, unit="sentence")
        lines = _read_lines(input_file)
        with atomic_path(output_file) as tmp, h5py.File(tmp, "w") as out:
            while True:
                chunk = [
                    text for _, text in itertools.islice(lines, chunk_size)
                ]
                if not chunk:
                    break
                token_lists = [
                    _tokens(text, count + offset, text_tokenizer)
                    for offset, text in enumerate(chunk)
                ]
                for offset, tokens in enumerate(token_lists):
                    check_sentence_length(
                        len(tokens), input_file, count + offset + 1
                    )
                vectors = self.embed_sentences(token_lists, output=output)
                for offset, (text, array) in enumerate(zip(chunk, vectors)):
                    out.create_dataset(str(count + offset), data=array)
                    sentence_to_index[text] = str(count + offset)
                count += len(chunk)
                bar.update(len(chunk))
            index = out.create_dataset(
                "sentence_to_index", (1,), dtype=h5py.string_dtype()
            )
            index[0] = json.dumps(sentence_to_index)
        bar.close()
        return count
