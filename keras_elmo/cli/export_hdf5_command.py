"""`keras-elmo export-hdf5 OUTPUT_DIR DEST`: a training run -> preset."""


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "export-hdf5",
        help="write a training run's latest checkpoint as a preset "
        "directory (options.json + weights.hdf5 in the original format, "
        "vocabulary.txt, metadata.json)",
    )
    parser.add_argument("run_dir", help="OUTPUT_DIR of `keras-elmo train`")
    parser.add_argument("destination", help="directory to write")
    parser.set_defaults(func=run)


def run(args):
    from keras_elmo.cli.output_checks import check_output
    from keras_elmo.training.checkpoints import export_checkpoint

    check_output(
        args.destination,
        inputs=[args.run_dir],
        kind="directory",
        argument="destination",
    )
    path = export_checkpoint(args.run_dir, args.destination)
    print(
        "Exported the preset (options.json, weights.hdf5, vocabulary.txt) "
        f"to {path}"
    )
    return 0
