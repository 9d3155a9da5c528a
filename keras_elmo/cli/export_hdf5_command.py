"""`keras-elmo export-hdf5 OUTPUT_DIR DEST`: a training run -> hdf5 pair."""


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "export-hdf5",
        help="write a training run's latest checkpoint in the original "
        "options.json + weights.hdf5 format",
    )
    parser.add_argument("run_dir", help="OUTPUT_DIR of `keras-elmo train`")
    parser.add_argument("destination", help="directory to write")
    parser.set_defaults(func=run)


def run(args):
    from keras_elmo.training.export import export_checkpoint

    path = export_checkpoint(args.run_dir, args.destination)
    print(f"Exported options.json, weights.hdf5 and vocabulary.txt to {path}")
    return 0
