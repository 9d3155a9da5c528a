"""`keras-elmo train`: pretrain or fine-tune a biLM (resumable)."""


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "train",
        help="pretrain or fine-tune a biLM (resumes from OUTPUT_DIR)",
        description="Train an ELMo biLM with model.fit. Running the same "
        "command again resumes from the latest checkpoint in OUTPUT_DIR. "
        "TensorBoard: tensorboard --logdir OUTPUT_DIR/logs.",
    )
    parser.add_argument("--train", required=True, help="training text glob")
    parser.add_argument("--vocabulary", required=True, help="vocabulary file")
    parser.add_argument("--output-dir", required=True)
    architecture = parser.add_mutually_exclusive_group(required=True)
    architecture.add_argument(
        "--preset",
        help="train the architecture of a preset from scratch: a built-in "
        "name (elmo_small_en, elmo_medium_en, elmo_original_en, ...; no "
        "download), a preset directory or URL",
    )
    architecture.add_argument("--options", help="options.json of the biLM")
    architecture.add_argument(
        "--init-from",
        nargs=2,
        metavar=("OPTIONS", "WEIGHTS"),
        help="fine-tune an original ELMo (options.json, weights.hdf5)",
    )
    parser.add_argument(
        "--text-tokenizer",
        metavar="TEXT_TOKENIZER_JSON",
        help="the text_tokenizer.json that made the corpus (keras-elmo "
        "tokenize --save-text-tokenizer); recorded in the exported model "
        "directory",
    )
    parser.add_argument("--validation", help="held-out text glob")
    parser.add_argument("--validation-steps", type=int)
    length = parser.add_mutually_exclusive_group(required=True)
    length.add_argument("--steps", type=int)
    length.add_argument("--epochs", type=float)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--unroll-steps", type=int, default=20)
    parser.add_argument("--checkpoint-every", type=int, default=1000)
    parser.add_argument("--keep-checkpoints", type=int, default=3)
    parser.add_argument("--log-every", type=int, default=100)
    parser.add_argument("--negative-samples", type=int, default=8192)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--learning-rate", type=float, default=0.2)
    parser.add_argument(
        "--strategy",
        default="default",
        choices=("default", "mirrored", "multi_worker", "tpu"),
    )
    parser.add_argument("--no-jit", action="store_true", help="disable XLA")
    parser.add_argument(
        "--steps-per-execution",
        type=int,
        default=1,
        help="train steps per compiled call (TPUs: e.g. 100); must divide "
        "--checkpoint-every",
    )
    parser.add_argument(
        "--mixed-precision", choices=("mixed_bfloat16", "mixed_float16")
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--profile-steps",
        nargs=2,
        type=int,
        metavar=("FIRST", "LAST"),
        help="profile these global steps (TensorBoard Profile tab)",
    )
    parser.add_argument("--quiet", action="store_true")
    parser.set_defaults(func=run)


def run(args):
    import keras

    from keras_elmo.preprocessing.text_tokenizer import TextTokenizer
    from keras_elmo.training.trainer import train_language_model

    # Read before training, so that a bad file fails in a second.
    tokenizer = (
        TextTokenizer.from_file(args.text_tokenizer)
        if args.text_tokenizer
        else None
    )
    optimizer = "auto"
    if args.learning_rate != 0.2:
        optimizer = keras.optimizers.Adagrad(
            learning_rate=args.learning_rate,
            initial_accumulator_value=1.0,
            global_clipnorm=10.0,
        )
    result = train_language_model(
        args.output_dir,
        args.train,
        args.vocabulary,
        options=args.options,
        preset=args.preset,
        validation_files=args.validation,
        batch_size=args.batch_size,
        unroll_steps=args.unroll_steps,
        steps=args.steps,
        epochs=args.epochs,
        checkpoint_every=args.checkpoint_every,
        keep_checkpoints=args.keep_checkpoints,
        log_every=args.log_every,
        validation_steps=args.validation_steps,
        num_negative_samples=args.negative_samples,
        dropout=args.dropout,
        optimizer=optimizer,
        strategy=args.strategy,
        jit_compile=not args.no_jit,
        mixed_precision=args.mixed_precision,
        seed=args.seed,
        init_from=args.init_from,
        profile_steps=args.profile_steps,
        steps_per_execution=args.steps_per_execution,
        verbose=0 if args.quiet else 1,
    )
    if tokenizer is not None:
        tokenizer.save(result["export_dir"])
    print(
        f"Trained to step {result['step']}; exported to {result['export_dir']}"
    )
    return 0
