"""`keras-elmo tokenize RAW... --output corpus.txt`: raw text to tokens."""


def add_tokenizer_arguments(parser):
    """The `TextTokenizer` options, shared by the commands that tokenize."""
    group = parser.add_argument_group("tokenizer")
    group.add_argument(
        "--text-tokenizer",
        metavar="TEXT_TOKENIZER_JSON",
        help="a text_tokenizer.json (as saved with a model); overrides the "
        "options below",
    )
    group.add_argument(
        "--normalization",
        choices=("NFC", "NFKC", "none"),
        default="NFC",
        help="Unicode normalisation (default NFC; NFKC folds fullwidth and "
        "compatibility characters but rewrites Hangul compatibility jamo)",
    )
    group.add_argument(
        "--no-split-punctuation",
        dest="split_punctuation",
        action="store_false",
        help="keep punctuation attached (e.g. for morphemes from an analyser)",
    )
    group.add_argument(
        "--split-hangul-boundaries",
        action="store_true",
        help="split between Hangul and other letters (ELMo는 -> ELMo 는)",
    )
    group.add_argument(
        "--mode",
        choices=("unicode", "moses"),
        default="unicode",
        help="unicode (default, any language) or moses: the English rules "
        "of the shipped English model's corpus (it 's, Mr.)",
    )


def tokenizer_from_args(args):
    """The `TextTokenizer` that `add_tokenizer_arguments` options describe."""
    from keras_elmo.preprocessing.text_tokenizer import TextTokenizer

    if args.text_tokenizer:
        return TextTokenizer.from_file(args.text_tokenizer)
    return TextTokenizer(
        normalization=None
        if args.normalization == "none"
        else args.normalization,
        split_punctuation=args.split_punctuation,
        split_hangul_boundaries=args.split_hangul_boundaries,
        mode=args.mode,
    )


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "tokenize",
        help="tokenize raw text files into one sentence a line",
        description="Normalise and tokenize raw UTF-8 text into the "
        "pretraining format (tokens separated by spaces, one sentence a "
        "line). Save the tokenizer with --save-text-tokenizer and give it "
        "to `keras-elmo train --text-tokenizer` so the model records it.",
    )
    parser.add_argument("files", nargs="+", help="raw text files or globs")
    parser.add_argument("--output", required=True, help="file to write")
    parser.add_argument(
        "--split-sentences",
        action="store_true",
        help="input lines are paragraphs: cut them after . ! ? and the like",
    )
    parser.add_argument(
        "--min-tokens", type=int, default=1, help="shortest sentence kept"
    )
    parser.add_argument(
        "--save-text-tokenizer",
        metavar="DIR",
        help="also write DIR/text_tokenizer.json (the tokenizer's config)",
    )
    add_tokenizer_arguments(parser)
    parser.set_defaults(func=run)


def run(args):
    from keras_elmo.cli.output_checks import check_output
    from keras_elmo.training.raw_text import tokenize_text_files
    from keras_elmo.utils.files import list_files

    inputs = [*list_files(args.files), args.text_tokenizer]
    check_output(args.output, inputs=inputs)
    if args.save_text_tokenizer:
        check_output(
            args.save_text_tokenizer,
            inputs=inputs + [args.output],
            kind="parent",
            argument="--save-text-tokenizer",
        )
    tokenizer = tokenizer_from_args(args)
    counts = tokenize_text_files(
        args.files,
        args.output,
        tokenizer=tokenizer,
        split_sentences=args.split_sentences,
        min_tokens=args.min_tokens,
    )
    if args.save_text_tokenizer:
        tokenizer.save(args.save_text_tokenizer)
    print(
        f"Wrote {counts['sentences']} sentences ({counts['tokens']} tokens) "
        f"from {counts['lines']} lines to {args.output}"
    )
    return 0
