"""`keras-elmo embed-corpus 'corpus/*.txt' out/ --model NAME [--beam-options]`.

A command of its own rather than a mode of `embed`: `embed` writes one
hdf5 file from one text file, atomically, and stops at the first bad
line; `embed-corpus` reads globs on any Beam filesystem, writes a
directory of Parquet shards, sends bad lines to a dead letter and goes on,
and takes a runner and its options.
"""

import argparse
import logging
import sys

from keras_elmo.cli.arguments import add_output_choice
from keras_elmo.cli.arguments import positive_int

INSTALL_HINT = 'pip install "keras-elmo[beam]"'


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "embed-corpus",
        help="embed text files at scale with Apache Beam (Parquet shards)",
        description="Embed every line of some text files with an Apache "
        "Beam pipeline (RunInference): on this machine (DirectRunner) or "
        "on Dataflow, Flink or Spark. Writes OUTPUT_DIR/embeddings-*.parquet "
        "and the bad lines to OUTPUT_DIR/dead_letter-*.jsonl "
        f"(docs/scale.md). Needs: {INSTALL_HINT}.",
    )
    parser.add_argument(
        "input_patterns",
        nargs="+",
        metavar="INPUT",
        help="text files or globs (local, gs://, s3://, ...), one sentence "
        "a line (or raw text with --tokenize)",
    )
    parser.add_argument(
        "output_dir", help="directory for the shards (any Beam filesystem)"
    )
    parser.add_argument(
        "--model",
        required=True,
        help="a preset: a built-in name, a directory or URL every worker "
        "can read (as `keras-elmo embed --model`)",
    )
    add_output_choice(
        parser,
        {
            "all": "every biLM layer: columns layer_0 .. layer_L",
            "top": "the top layer: column top",
            "average": "the average of the layers: column average",
            "elmo": "the model's layer mix: column elmo",
        },
    )
    tokenize = parser.add_mutually_exclusive_group()
    tokenize.add_argument(
        "--tokenize",
        action="store_true",
        default=None,
        help="tokenize raw lines with the model's text tokenizer (as embed)",
    )
    tokenize.add_argument(
        "--no-tokenize",
        dest="tokenize",
        action="store_false",
        help="split lines on whitespace only",
    )
    parser.add_argument(
        "--initial-state", choices=("zeros", "warm"), default="zeros"
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=64,
        help="most sentences in a batch",
    )
    parser.add_argument(
        "--max-tokens-per-batch",
        type=positive_int,
        default=4096,
        help="token budget of a batch (BatchElements weighs each sentence "
        "by its tokens + 2 markers)",
    )
    parser.add_argument(
        "--max-sentence-tokens",
        type=positive_int,
        default=1024,
        help="longer lines go to the dead letter",
    )
    parser.add_argument(
        "--num-shards",
        type=int,
        default=0,
        help="Parquet files to write; 0: the runner chooses",
    )
    parser.add_argument(
        "--large-model",
        action="store_true",
        help="one model copy per machine, not per process (GPU workers)",
    )
    parser.add_argument(
        "--runner",
        default="DirectRunner",
        help="Beam runner: DirectRunner, DataflowRunner, FlinkRunner, "
        "SparkRunner, PortableRunner. Default: DirectRunner",
    )
    parser.add_argument(
        "--beam-options",
        dest="pipeline_args",
        nargs=argparse.REMAINDER,
        default=[],
        metavar="OPTION",
        help="last: every argument after it goes to Beam's PipelineOptions "
        "(e.g. --direct_num_workers=2 --direct_running_mode=multi_processing"
        ", or --project=P --region=R --temp_location=gs://B/tmp)",
    )
    parser.set_defaults(func=run, output="all")


def run(args):
    if not args.verbose:
        # Beam logs start-up notes (e.g. "apitools not found") as warnings
        # on the root logger; -v shows them. Errors (a retried bundle) stay.
        logging.getLogger().setLevel(logging.ERROR)
    try:
        from keras_elmo.beam.embed_corpus import run_embed_corpus
    except ModuleNotFoundError as error:
        if error.name != "apache_beam":
            raise
        message = f"needs Apache Beam: {INSTALL_HINT}"
        print(f"keras-elmo embed-corpus: error: {message}", file=sys.stderr)
        return 2
    pipeline_args = list(args.pipeline_args)
    counts = run_embed_corpus(
        args.input_patterns,
        args.output_dir,
        args.model,
        pipeline_args=[f"--runner={args.runner}"] + pipeline_args,
        output=args.output,
        tokenize=args.tokenize,
        initial_state=args.initial_state,
        batch_size=args.batch_size,
        max_tokens_per_batch=args.max_tokens_per_batch,
        max_sentence_tokens=args.max_sentence_tokens,
        num_shards=args.num_shards,
        large_model=args.large_model,
    )
    if counts["sentences"] is None:
        print(f"Wrote the embeddings ({args.output}) to {args.output_dir}")
    else:
        print(
            f"Wrote {counts['sentences']} sentences, {counts['tokens']} "
            f"tokens ({args.output}) to {args.output_dir}; "
            f"{counts['bad_lines'] or 0} bad lines in its dead_letter-*.jsonl"
        )
    return 0
