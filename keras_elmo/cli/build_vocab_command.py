"""`keras-elmo build-vocab FILES... --output vocab.txt`."""


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "build-vocab",
        help="count tokens of text files into a vocabulary file",
        description="Count whitespace tokens of text files (streaming) and "
        "write the original vocabulary format: <S>, </S>, <UNK>, then tokens "
        "by descending count.",
    )
    parser.add_argument("files", nargs="+", help="text files or globs")
    parser.add_argument("--output", required=True, help="vocabulary file")
    parser.add_argument("--min-count", type=int, default=1)
    parser.add_argument("--max-size", type=int, default=None)
    parser.add_argument("--no-progress", action="store_true")
    parser.set_defaults(func=run)


def run(args):
    from keras_elmo.cli.output_checks import check_output
    from keras_elmo.preprocessing.word_vocabulary import build_vocabulary
    from keras_elmo.utils.files import list_files

    check_output(args.output, inputs=list_files(args.files), light=True)

    tokens = build_vocabulary(
        args.files,
        output_path=args.output,
        min_count=args.min_count,
        max_size=args.max_size,
        progress=not args.no_progress,
    )
    print(f"Wrote {len(tokens)} tokens to {args.output}")
    return 0
