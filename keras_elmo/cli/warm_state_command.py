"""`keras-elmo warm-state PRESET TEXT`: a preset's warm initial state."""


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "warm-state",
        help="compute a preset's warm initial LSTM state from a text",
        description="Run the preset's biLM over TEXT (one whitespace-"
        "tokenized sentence a line), carrying the LSTM state from sentence "
        "to sentence, and write the state it ends in as the preset's "
        "warm_state.npz, with TEXT as its warm_up.txt (both atomically). "
        "`--initial-state warm` (embed, export) then starts every sentence "
        "from it (docs/determinism.md).",
    )
    parser.add_argument(
        "preset",
        help="a local preset directory (written): options.json + "
        "weights.hdf5, or a model directory with its preset/",
    )
    parser.add_argument(
        "text",
        help="the warm-up text, e.g. the preset's own warm_up.txt",
    )
    parser.set_defaults(func=run)


def run(args):
    import os

    from keras_elmo.models.elmo import ELMo
    from keras_elmo.presets.preset_directory import local_preset_path
    from keras_elmo.presets.preset_handles import resolve_preset
    from keras_elmo.presets.warm_state import read_warm_up_text
    from keras_elmo.presets.warm_state import write_preset_warm_state

    if not os.path.isdir(args.preset):
        raise ValueError(
            f"PRESET must be a local preset directory (it is written): "
            f"{args.preset!r} is not a directory. To change a built-in or "
            "downloaded model, save a copy first (ELMo.save_to_preset)."
        )
    sentences = read_warm_up_text(args.text)  # checked before any work
    preset = resolve_preset(local_preset_path(args.preset))
    model = ELMo.from_preset_directory(preset)
    path = write_preset_warm_state(model, preset.path, sentences)
    tokens = sum(len(tokens) for tokens in sentences)
    print(
        f"Wrote {path}: the state after {len(sentences)} sentences "
        f"({tokens} tokens) of {args.text}, kept as warm_up.txt beside it."
    )
    return 0
