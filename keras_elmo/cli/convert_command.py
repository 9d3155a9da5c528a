"""`keras-elmo convert --from elmoformanylangs IN_DIR OUT_DIR`."""

FORMATS = ("elmoformanylangs",)


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "convert",
        help="convert a pretrained model of another format into a "
        "keras_elmo preset",
        description="Read a model in another format and write a keras_elmo "
        "preset directory (model config, weights and tokenizer), "
        "atomically: nothing is written if any input is missing or bad.",
    )
    parser.add_argument(
        "--from",
        dest="source_format",
        required=True,
        choices=FORMATS,
        help="format of IN_DIR (elmoformanylangs: a HIT-SCIR "
        "ELMoForManyLangs model directory)",
    )
    parser.add_argument("input_dir", help="the model directory to read")
    parser.add_argument("output_dir", help="the preset directory to write")
    parser.set_defaults(func=run)


def run(args):
    import os

    from keras_elmo.cli.output_checks import check_output
    from keras_elmo.conversion.elmoformanylangs import (
        elmoformanylangs_tokenizer,
    )
    from keras_elmo.models.elmo import ELMo

    check_output(
        args.output_dir,
        inputs=[args.input_dir],
        kind="directory",
        argument="output_dir",
    )
    model = ELMo.from_elmoformanylangs(args.input_dir)
    model.save_to_preset(
        args.output_dir,
        tokenizer=elmoformanylangs_tokenizer(args.input_dir),
        metadata={
            "source": "elmoformanylangs:" + os.path.abspath(args.input_dir)
        },
    )
    print(f"Wrote the keras_elmo preset {os.path.abspath(args.output_dir)}")
    return 0
