"""Compute a preset's warm initial LSTM state from its warm-up text.

Reads the preset's `warm_up.txt` (one whitespace-tokenized sentence a line;
or `--text FILE`), runs the biLM over it statefully, and writes the
preset's `warm_state.npz` (or `--output FILE`; see
`keras_elmo.models.warm_state`). The result is a deterministic function of
the weights and the text.

Usage:

    python scripts/compute_warm_state.py elmo_tiny_en
"""

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from keras_elmo.models.elmo import ELMo  # noqa: E402
from keras_elmo.models.warm_state import compute_warm_state  # noqa: E402
from keras_elmo.models.warm_state import text_sha256  # noqa: E402
from keras_elmo.presets import WARM_STATE_FILE  # noqa: E402
from keras_elmo.presets import WARM_UP_FILE  # noqa: E402
from keras_elmo.presets import resolve_preset  # noqa: E402
from keras_elmo.presets import write_warm_state  # noqa: E402


def read_sentences(path):
    with open(path, encoding="utf-8") as f:
        return [line.split() for line in f if line.split()]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("preset", help="preset name or directory")
    parser.add_argument("--text", help="warm-up text (default: warm_up.txt)")
    parser.add_argument("--output", help="default: PRESET/warm_state.npz")
    args = parser.parse_args(argv)
    preset = resolve_preset(args.preset)
    text = Path(args.text) if args.text else preset.file(WARM_UP_FILE)
    sentences = read_sentences(text)
    model = ELMo.from_preset_directory(preset)
    state = compute_warm_state(model, sentences)
    output = args.output or preset.path / WARM_STATE_FILE
    write_warm_state(state, output, text_sha256(sentences))
    tokens = sum(len(s) for s in sentences)
    print(
        f"Wrote {output}: state after {len(sentences)} sentences "
        f"({tokens} tokens) of {text}."
    )
    return state


if __name__ == "__main__":
    main()
