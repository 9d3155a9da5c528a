"""Exact held-out perplexity of a trained biLM."""

from keras_elmo.models.elmo_language_model import ELMoLanguageModel
from keras_elmo.presets.preset_handles import resolve_preset
from keras_elmo.training.data import count_tokens
from keras_elmo.training.data import make_lm_dataset


def evaluate_perplexity(model_dir, files, batch_size=64, unroll_steps=20):
    """Full-softmax perplexities of held-out text (bilm-tf's test script).

    The tokens after the last whole batch are not scored (batches have a
    static shape); with `batch_size=1` at most `unroll_steps - 1` tokens
    are left out.

    Args:
        model_dir: str. A language-model preset (a directory or URL written
            by `ELMoLanguageModel.save_to_preset`, e.g. a run's `export/`).
        files: str or list. Held-out text files or globs.
        batch_size: int. Defaults to `64`.
        unroll_steps: int. Window length. Defaults to `20`.

    Returns:
        A dict: `perplexity` (average of both directions, per target token),
        `forward_perplexity`, `backward_perplexity` and `loss`.

    Example:

    >>> evaluate_perplexity("runs/en/export", "heldout.txt")["perplexity"]
    """
    batches = count_tokens(files) // (batch_size * unroll_steps)
    if batches < 1:
        raise ValueError(
            f"{files!r} hold fewer tokens than one batch ({batch_size} rows "
            f"x {unroll_steps} tokens, `<S>` and `</S>` included): use a "
            "smaller `batch_size`."
        )
    preset = resolve_preset(model_dir)
    model = ELMoLanguageModel.from_preset(preset.path)
    vocabulary = preset.vocabulary()
    model.compile()
    data = make_lm_dataset(
        files,
        vocabulary,
        batch_size=batch_size,
        unroll_steps=unroll_steps,
        shuffle=False,
    )
    results = model.evaluate(data, steps=batches, verbose=0, return_dict=True)
    return {key: float(value) for key, value in results.items()}
