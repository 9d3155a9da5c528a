"""`keras-elmo presets [--language ko]`: the built-in models, as a table."""


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "presets",
        help="list the built-in models (name, language, parameters, "
        "training data, license, cached, source)",
        description="List the models that load by name: "
        "ELMo.from_preset(NAME), keras-elmo embed --model NAME. Nothing is "
        "downloaded; 'cached' says whether a model's download is already "
        "in $KERAS_HOME/keras_elmo.",
    )
    parser.add_argument(
        "--language",
        help="only the models of this language: an ISO 639 code such as "
        "ko, or a tag such as zh-Hans ('zh' also finds zh-Hant and zh-Hans)",
    )
    parser.add_argument(
        "--markdown",
        action="store_true",
        help="print the Markdown table of docs/presets.md (every cell "
        "whole, no cache column) instead",
    )
    parser.set_defaults(func=run)


def run(args):
    from keras_elmo.presets.preset_listing import list_presets
    from keras_elmo.presets.preset_listing import preset_markdown_table
    from keras_elmo.presets.preset_listing import preset_table

    presets = list_presets(language=args.language)
    if not presets:
        raise ValueError(
            f"No built-in model for the language {args.language!r}; "
            "`keras-elmo presets` lists every one."
        )
    if args.markdown:
        print(preset_markdown_table(presets))
    else:
        print(preset_table(presets))
    return 0
