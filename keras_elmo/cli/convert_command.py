"""`keras-elmo convert --from elmoformanylangs IN_DIR OUT_DIR`."""

FORMATS = ("elmoformanylangs",)


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "convert",
        help="convert a pretrained model of another format into a "
        "keras_elmo preset",
        description="Read a model in another format and write a keras_elmo "
        "preset directory (model config, weights and tokenizer), atomically.",
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
    from keras_elmo.conversion.elmoformanylangs import convert_elmoformanylangs

    path = convert_elmoformanylangs(args.input_dir, args.output_dir)
    print(f"Wrote the keras_elmo preset {path}")
    return 0
