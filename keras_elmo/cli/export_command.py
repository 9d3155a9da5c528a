"""`keras-elmo export --format saved_model|tflite`."""

import argparse

from keras_elmo.cli.arguments import limit

LIMIT_ARGUMENTS = ("max_tokens_per_request", "max_bytes_per_string")


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "export",
        help="export for TF Serving (SavedModel) or devices (TFLite)",
        description="Export an ELMo as a TF Serving SavedModel version "
        "(`<output>/<version>/`, signatures serving_default, tokens, "
        "char_ids) or as a TFLite file of builtin ops.",
    )
    parser.add_argument(
        "--format",
        choices=("saved_model", "tflite"),
        default="saved_model",
        help="default: saved_model",
    )
    model = parser.add_mutually_exclusive_group(required=True)
    model.add_argument(
        "--model",
        help="a preset: a built-in name (e.g. elmo_tiny_en, "
        "elmo_original_en), a preset directory (options.json + "
        "weights.hdf5), or an http(s):// or file:// URL of one; its "
        "layer_mix.json, if any, gives the elmo output",
    )
    model.add_argument(
        "--options", help="original options.json (with --weights)"
    )
    parser.add_argument("--weights", help="original hdf5 weights")
    parser.add_argument(
        "--output",
        help="saved_model: the base path the versions go under (default: "
        "a --model directory, else saved_models/NAME); tflite: the .tflite "
        "file (default: elmo[_QUANTIZATION].tflite in that directory). "
        "Required for a directory of the package or the download cache",
    )
    parser.add_argument(
        "--version",
        type=int,
        help="saved_model version number (default: the next one)",
    )
    parser.add_argument(
        "--quantization",
        choices=("dynamic", "float16"),
        help="tflite weights: int8 (dynamic range) or float16 "
        "(default: float32)",
    )
    parser.add_argument(
        "--max-tokens-per-request",
        type=limit,
        default=argparse.SUPPRESS,  # the library's default
        help="saved_model: most token positions (sentences x (longest + 2)) "
        "one request may compute, or 'none' (default: 4096)",
    )
    parser.add_argument(
        "--max-bytes-per-string",
        type=limit,
        default=argparse.SUPPRESS,  # the library's default
        help="saved_model: longest sentence (serving_default) or token "
        "(tokens) in bytes, or 'none' (default: 65536)",
    )
    parser.add_argument(
        "--initial-state",
        choices=("zeros", "warm"),
        default="zeros",
        help="LSTM state each sentence starts from; warm: the --model "
        "preset's warm_state.npz (docs/determinism.md). Default: zeros",
    )
    parser.set_defaults(func=run)


def run(args):
    from keras_elmo.export.from_files import export_from_files

    if args.options and not args.weights:
        raise ValueError("--options needs --weights (the hdf5 file).")
    limits = {
        name: getattr(args, name)
        for name in LIMIT_ARGUMENTS
        if hasattr(args, name)
    }
    try:
        path = export_from_files(
            args.format,
            output=args.output,
            model=args.model,
            options_file=args.options,
            weight_file=args.weights,
            version=args.version,
            quantization=args.quantization,
            initial_state=args.initial_state,
            **limits,
        )
    except (FileExistsError, NotADirectoryError) as error:
        raise ValueError(str(error)) from None  # one line, no traceback
    print(f"Wrote {args.format} to {path}")
    _print_text_tokenizer_note(path)
    return 0


def _print_text_tokenizer_note(path):
    # The served graph does not run the model's TextTokenizer: say so.
    import json
    import os

    from keras_elmo.export.saved_model import METADATA_FILE

    metadata_path = os.path.join(path, METADATA_FILE)
    if os.path.isfile(metadata_path):
        with open(metadata_path, encoding="utf-8") as f:
            note = json.load(f).get("text_tokenizer_note")
        if note:
            print(f"Note: {note}")
