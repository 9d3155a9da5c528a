"""`keras-elmo train`: pretrain or fine-tune a biLM (resumable)."""

# Command-line flag -> `TrainingConfig` field, for the recipe overrides.
# A flag left out keeps the recipe's value.
RECIPE_FLAGS = {
    "batch_size": int,
    "unroll_steps": int,
    "optimizer": str,
    "learning_rate": float,
    "warmup_steps": int,
    "decay": str,
    "decay_steps": int,
    "final_learning_rate_fraction": float,
    "global_clipnorm": float,
    "weight_decay": float,
    "softmax": str,
    "num_negative_samples": int,
    "dropout": float,
}


def add_parser(subparsers):
    from keras_elmo.training.training_config import DECAYS
    from keras_elmo.training.training_config import OPTIMIZERS
    from keras_elmo.training.training_config import RECIPES
    from keras_elmo.training.training_config import SOFTMAXES
    from keras_elmo.training.training_config import STRATEGIES

    parser = subparsers.add_parser(
        "train",
        help="pretrain or fine-tune a biLM (resumes from OUTPUT_DIR)",
        description="Train an ELMo biLM with model.fit. Running the same "
        "command again resumes from the latest checkpoint in OUTPUT_DIR. "
        "TensorBoard: tensorboard --logdir OUTPUT_DIR/logs. The recipe "
        "(--recipe) sets the optimizer, schedule, softmax, dropout and "
        "batch shape; each flag below overrides one of its values.",
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
    parser.add_argument(
        "--recipe",
        default="adam",
        choices=sorted(RECIPES),
        help="adam (default: Adam 4e-3, 200 warmup steps, cosine decay to "
        "0.1x, clip 10, 8192 sampled negatives (full softmax for smaller "
        "vocabularies), no dropout, batch 32x20) or bilm_tf (Adagrad 0.2, "
        "clip 10, 8192 sampled negatives, dropout 0.1, batch 128x20); see "
        "docs/training.md",
    )
    recipe_flags = parser.add_argument_group("recipe overrides")
    choices = {
        "optimizer": OPTIMIZERS,
        "decay": DECAYS,
        "softmax": SOFTMAXES,
    }
    for field, kind in RECIPE_FLAGS.items():
        flag = "--" + field.replace("_", "-")
        if field == "num_negative_samples":
            flag = "--negative-samples"
        recipe_flags.add_argument(
            flag, dest=field, type=kind, choices=choices.get(field)
        )
    parser.add_argument("--checkpoint-every", type=int, default=1000)
    parser.add_argument("--keep-checkpoints", type=int, default=3)
    parser.add_argument("--log-every", type=int, default=100)
    parser.add_argument(
        "--strategy",
        default="default",
        choices=STRATEGIES,
        help="default: one device; data_parallel: every local device "
        "(JAX, keras.distribution.DataParallel); mirrored, multi_worker, "
        "tpu: tf.distribute (TensorFlow backend)",
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
        help="profile these global steps (TensorBoard Profile tab; "
        "TensorFlow backend)",
    )
    parser.add_argument("--quiet", action="store_true")
    parser.set_defaults(func=run)


def config_from_args(args):
    """The `TrainingConfig` of parsed `train` arguments (validated)."""
    from keras_elmo.training.training_config import recipe

    overrides = {
        field: getattr(args, field)
        for field in RECIPE_FLAGS
        if getattr(args, field) is not None
    }
    if "num_negative_samples" in overrides and "softmax" not in overrides:
        overrides["softmax"] = "sampled"  # asking for negatives = sampling
    return recipe(
        args.recipe,
        train_files=args.train,
        vocabulary=args.vocabulary,
        options=args.options,
        preset=args.preset,
        init_from=tuple(args.init_from) if args.init_from else None,
        validation_files=args.validation,
        validation_steps=args.validation_steps,
        steps=args.steps,
        epochs=args.epochs,
        checkpoint_every=args.checkpoint_every,
        keep_checkpoints=args.keep_checkpoints,
        log_every=args.log_every,
        strategy=args.strategy,
        jit_compile=not args.no_jit,
        steps_per_execution=args.steps_per_execution,
        mixed_precision=args.mixed_precision,
        seed=args.seed,
        profile_steps=args.profile_steps,
        **overrides,
    )


def _check_output_dir(args):
    import os

    from keras_elmo.cli.output_checks import check_output
    from keras_elmo.preprocessing.word_vocabulary import check_text_files

    inputs = [args.vocabulary, args.text_tokenizer, args.options]
    check_output(
        args.output_dir,
        inputs=inputs + list(args.init_from or ()),
        kind="parent",
        argument="--output-dir",
    )
    # A run writes vocabulary.txt, checkpoints/, logs/ and export/ into its
    # directory: only a new, empty or earlier run's directory is used.
    directory = args.output_dir
    if (
        os.path.isdir(directory)
        and any(not name.startswith(".") for name in os.listdir(directory))
        and not os.path.isfile(os.path.join(directory, "training_config.json"))
    ):
        raise FileExistsError(
            f"--output-dir {directory} holds files but no "
            "training_config.json: it is not a training run to resume. Give "
            "a new or empty directory."
        )
    # Lines are read by the input pipeline much later: a sentence too long
    # (or not UTF-8) fails now, naming its line.
    check_text_files(args.train)
    if args.validation:
        check_text_files(args.validation)


def run(args):
    # Validate every argument before TensorFlow is imported or a file is
    # written (e.g. `--steps 0` is an error, not an exported random model).
    config = config_from_args(args)
    _check_output_dir(args)

    from keras_elmo.preprocessing.text_tokenizer import TextTokenizer
    from keras_elmo.training.trainer import train_language_model

    # Read before training, so that a bad file fails in a second.
    tokenizer = (
        TextTokenizer.from_file(args.text_tokenizer)
        if args.text_tokenizer
        else None
    )
    result = train_language_model(
        args.output_dir, config, verbose=0 if args.quiet else 1
    )
    if tokenizer is not None:
        tokenizer.save(result["export_dir"])
    print(
        f"Trained to step {result['step']}; exported to {result['export_dir']}"
    )
    return 0
