"""`keras-elmo perplexity EXPORT_DIR FILES...`: exact held-out perplexity."""

import json

from keras_elmo.cli.arguments import positive_int


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "perplexity",
        help="exact (full-softmax) perplexities of held-out text",
        description="Forward, backward and average perplexity of a trained "
        "biLM (a `train` export directory) on held-out text.",
    )
    parser.add_argument("model_dir", help="export directory of `train`")
    parser.add_argument("files", nargs="+", help="held-out text files/globs")
    parser.add_argument("--batch-size", type=positive_int, default=64)
    parser.add_argument("--unroll-steps", type=positive_int, default=20)
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(func=run)


def run(args):
    from keras_elmo.training.perplexity import evaluate_perplexity

    result = evaluate_perplexity(
        args.model_dir,
        args.files,
        batch_size=args.batch_size,
        unroll_steps=args.unroll_steps,
    )
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(
                f"{key}: {value:.3f}"
                if isinstance(value, float)
                else f"{key}: {value}"
            )
    return 0
