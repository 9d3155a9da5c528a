"""`keras-elmo embed input.txt output.hdf5 --all|--top|--average|--elmo`."""

from keras_elmo.cli.arguments import add_output_choice
from keras_elmo.cli.arguments import positive_int


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "embed",
        help="embed a text file (one sentence a line) into hdf5",
        description="Embed a text file with ELMo, writing AllenNLP's "
        "`elmo` command layout: a dataset per line index and a "
        "`sentence_to_index` JSON map.",
    )
    parser.add_argument(
        "input_file",
        help="UTF-8 text, one sentence a line (lines end at \\n; tokens "
        "are split on ASCII whitespace)",
    )
    parser.add_argument("output_file", help="hdf5 file to write")
    model = parser.add_mutually_exclusive_group(required=True)
    model.add_argument(
        "--model",
        help="a preset: a built-in name (e.g. elmo_tiny_en, "
        "elmo_original_en), a preset directory (options.json + "
        "weights.hdf5, or converted by `keras-elmo convert`), an http(s):// "
        "or file:// URL of one, or an ELMoForManyLangs model directory",
    )
    model.add_argument(
        "--options", help="original options.json (with --weights)"
    )
    parser.add_argument("--weights", help="original hdf5 weights")
    add_output_choice(
        parser,
        {
            "all": "every biLM layer: (n_layers + 1, tokens, dim)",
            "top": "the top layer: (tokens, dim)",
            "average": "the average of the layers: (tokens, dim)",
            "elmo": "the model's layer mix: (tokens, dim)",
        },
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=64,
        help="sentences per batch",
    )
    parser.add_argument(
        "--max-tokens-per-batch",
        type=positive_int,
        default=4096,
        help="also cap a batch at this many token positions (bounds the "
        "memory of batches of long sentences)",
    )
    parser.add_argument(
        "--chunk-size",
        type=positive_int,
        default=4096,
        help="lines read, sorted and embedded together (bounds memory)",
    )
    tokenize = parser.add_mutually_exclusive_group()
    tokenize.add_argument(
        "--tokenize",
        action="store_true",
        default=None,
        help="tokenize raw lines with the model's text_tokenizer.json (or, "
        "without one, the default: NFC, punctuation split)",
    )
    tokenize.add_argument(
        "--no-tokenize",
        dest="tokenize",
        action="store_false",
        help="split lines on whitespace only, even if the model records a "
        "tokenizer",
    )
    parser.add_argument(
        "--initial-state",
        choices=("zeros", "warm"),
        default="zeros",
        help="LSTM state each sentence starts from; warm: the --model "
        "preset's warm_state.npz (docs/determinism.md). Default: zeros",
    )
    parser.add_argument("--no-progress", action="store_true")
    parser.set_defaults(func=run, output="all")


def run(args):
    import os

    from keras_elmo.cli.output_checks import check_output
    from keras_elmo.inference.elmo_embedder import ELMoEmbedder

    inputs = [args.input_file, args.options, args.weights]
    if args.model and os.path.isdir(args.model):
        # The preset's own files (weights.hdf5, ...) are inputs too.
        for root, _, names in os.walk(args.model):
            inputs += [os.path.join(root, name) for name in names]
    check_output(args.output_file, inputs=inputs, argument="output_file")
    if args.options and not args.weights:
        raise ValueError("--options needs --weights (the hdf5 file).")
    batching = {
        "batch_size": args.batch_size,
        "max_tokens_per_batch": args.max_tokens_per_batch,
    }
    if args.initial_state != "zeros" and not args.model:
        raise ValueError("--initial-state warm needs --model (a preset).")
    if args.model:
        embedder = ELMoEmbedder.from_preset(
            args.model, initial_state=args.initial_state, **batching
        )
    else:
        embedder = ELMoEmbedder.from_bilm_hdf5(
            args.options, args.weights, **batching
        )
    count = embedder.embed_file(
        args.input_file,
        args.output_file,
        output=args.output,
        chunk_size=args.chunk_size,
        progress=not args.no_progress,
        tokenize=args.tokenize,
    )
    print(f"Wrote {count} sentences ({args.output}) to {args.output_file}")
    return 0
