"""The CPU reference outputs of the accelerator check's parity test.

`benchmarks/accelerator_check.py` runs the shipped model `elmo_tiny_en` on
the accelerator, on the fixed sentences of `SENTENCES`, and compares its
outputs with the ones stored in `benchmarks/accelerator_reference.npz`:
float32 outputs of the same model computed on a CPU by this tool.
`tests/benchmarks/accelerator_check_test.py` computes them again and
compares them with the file, so the file cannot go stale when the model,
its weights or the character ids change.

The file holds the character ids (int32 `[4, 12, 50]`: the sentences with
their `<S>`/`</S>` markers, padded), the token embeddings
(`[4, 12, 128]`), the three biLM layers (`[4, 3, 12, 256]`) and the mask
(`[4, 12]`), 91 kB compressed.

Usage (from the repository root; it computes on the CPU whatever the
machine has):

    python benchmarks/accelerator_reference.py           # (re)write it
    python benchmarks/accelerator_reference.py --check   # exit 1 if stale
"""

import argparse
import os
import sys
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PRESET = "elmo_tiny_en"
REFERENCE_FILE = Path(__file__).resolve().with_name("accelerator_reference.npz")
# Differing lengths (padding and the mask), UTF-8 beyond ASCII, a word
# longer than the 50 characters a token keeps, and a one-word sentence.
SENTENCES = (
    ("The", "cat", "sat", "on", "the", "mat", "by", "the", "door", "."),
    ("Naïve", "cafés", "serve", "crème", "brûlée", "—", "¿", "sí", "?"),
    (
        "Pneumonoultramicroscopicsilicovolcanoconiosis-and-"
        "antidisestablishmentarianism",
        "is",
        "long",
        ".",
    ),
    ("Hello",),
)
OUTPUTS = ("token_embeddings", "layers")
# Recomputing on a CPU (any backend, any thread count) agrees to about
# 1e-6; a real change of the model or its inputs moves outputs by 1e-2 or
# more.
REGENERATION_ATOL = 1e-5


def reference_character_ids():
    """The character ids of `SENTENCES`, markers added, int32 `[4, 12, 50]`.

    Example:

    >>> reference_character_ids().shape
    (4, 12, 50)
    """
    from keras_elmo.preprocessing.elmo_characters import batch_to_char_ids

    return np.asarray(
        batch_to_char_ids([list(s) for s in SENTENCES]), dtype="int32"
    )


def model_outputs(model, character_ids, compiled=True):
    """The forward's outputs as float32 NumPy arrays.

    Args:
        model: a `keras_elmo.ELMo`.
        character_ids: int32 array `[batch, tokens, 50]`.
        compiled: bool. Run `predict_on_batch` (compiled as the model is:
            `jax.jit`, XLA), else call the model eagerly. Defaults to
            `True`.

    Returns:
        A dict: `"token_embeddings"`, `"layers"` (float32) and `"mask"`
        (bool).
    """
    import keras

    if compiled:
        outputs = model.predict_on_batch(character_ids)
    else:
        outputs = model(character_ids)
    outputs = {k: keras.ops.convert_to_numpy(v) for k, v in outputs.items()}
    arrays = {k: np.asarray(outputs[k], dtype="float32") for k in OUTPUTS}
    arrays["mask"] = np.asarray(outputs["mask"], dtype=bool)
    return arrays


def compute_reference(compiled=True):
    """The reference arrays: `elmo_tiny_en`'s float32 outputs and inputs.

    Runs on the device Keras uses: call it in a process that sees only the
    CPU (`main` arranges that) for the stored reference.

    Args:
        compiled: bool. See `model_outputs`. Defaults to `True`.

    Returns:
        A dict of `"character_ids"` and the `model_outputs`.
    """
    from keras_elmo.models.elmo import ELMo

    import keras  # isort: skip  (after keras_elmo: works without TF)

    keras.config.set_dtype_policy("float32")
    model = ELMo.from_preset(PRESET)
    character_ids = reference_character_ids()
    return {
        "character_ids": character_ids,
        **model_outputs(model, character_ids, compiled),
    }


def read_reference(path=REFERENCE_FILE):
    """The stored reference arrays, as a dict of NumPy arrays.

    Raises:
        FileNotFoundError: the file is missing (run this tool to make it).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"No reference outputs at {path}: run `python "
            "benchmarks/accelerator_reference.py` to make them."
        )
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def differences(stored, computed):
    """How `computed` differs from `stored`: one entry per array.

    Returns:
        A dict: for the float outputs their maximum absolute difference
        (infinity if the shapes differ), for the ids and the mask the
        number of differing elements (or -1 if the shapes differ).
    """
    result = {}
    for name in ("character_ids", "mask", *OUTPUTS):
        a, b = stored.get(name), computed.get(name)
        if a is None or b is None or a.shape != b.shape:
            result[name] = float("inf") if name in OUTPUTS else -1
        elif name in OUTPUTS:
            result[name] = float(np.max(np.abs(a - b)))
        else:
            result[name] = int(np.sum(a != b))
    return result


def is_same(diff, atol=REGENERATION_ATOL):
    """Whether a `differences` result is within `atol` and exact."""
    return all(
        value <= atol if name in OUTPUTS else value == 0
        for name, value in diff.items()
    )


def write_reference(arrays, path=REFERENCE_FILE):
    """Write `arrays` to `path` (compressed `.npz`), atomically."""
    from keras_elmo.utils.atomic import atomic_path

    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **arrays)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--output",
        default=str(REFERENCE_FILE),
        help="The .npz to write (default: the one the check reads).",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="Compare with the stored file instead of writing; exit 1 if "
        "they differ.",
    )
    args = parser.parse_args(argv)
    computed = compute_reference()
    if args.check:
        diff = differences(read_reference(args.output), computed)
        print(diff)
        return 0 if is_same(diff) else 1
    write_reference(computed, args.output)
    print(f"Wrote {args.output}")
    return 0


if __name__ == "__main__":
    # The reference is a CPU computation, on whatever machine it runs.
    os.environ["JAX_PLATFORMS"] = "cpu"
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    sys.exit(main())
