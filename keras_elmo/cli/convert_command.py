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
    parser.add_argument(
        "input_dir",
        help="the model to read: a directory, its zip or tar archive, an "
        "archive URL, or a built-in preset name (elmo_manylangs_ko)",
    )
    parser.add_argument("output_dir", help="the preset directory to write")
    parser.set_defaults(func=run)


def run(args):
    import os

    from keras_elmo.cli.output_checks import check_output
    from keras_elmo.models.elmo import ELMo
    from keras_elmo.presets.preset_loader import ElmoForManyLangsPresetLoader
    from keras_elmo.presets.preset_loader import get_preset_loader

    check_output(
        args.output_dir,
        inputs=[args.input_dir],
        kind="directory",
        argument="output_dir",
    )
    if os.path.isdir(args.input_dir):
        # Read as given: its own errors name the missing or bad file.
        loader = ElmoForManyLangsPresetLoader(
            args.input_dir, lambda: args.input_dir
        )
        source = os.path.abspath(args.input_dir)
    else:  # an archive, its URL or a built-in name: extracted and cached
        loader = get_preset_loader(args.input_dir)
        if not isinstance(loader, ElmoForManyLangsPresetLoader):
            raise ValueError(
                f"{args.input_dir} is not an ELMoForManyLangs model (it is "
                f"a {loader.format} preset, which loads as it is)."
            )
        source = args.input_dir
    model = loader.load_elmo(ELMo)
    model.save_to_preset(
        args.output_dir,
        tokenizer=loader.load_tokenizer(),
        metadata={"source": "elmoformanylangs:" + source},
    )
    print(f"Wrote the keras_elmo preset {os.path.abspath(args.output_dir)}")
    return 0
