"""Package a training run as a shipped preset, with measured numbers.

Writes the preset directory DESTINATION (keras_elmo/presets/<name> for a
preset shipped in the package; atomically, an existing one is replaced):

    options.json     the architecture (original bilm-tf format)
    weights.hdf5     the biLM (original layout) plus the softmax as
                     `softmax/W`, `softmax/b` (float16 if the preset would
                     otherwise pass `--max-megabytes`, or if asked)
    vocabulary.txt   the softmax rows
    text_tokenizer.json  the `TextTokenizer` that cut the training text
                     (the run's, else the corpus's `mode="moses"`)
    metadata.json    name, parameters, training recipe, corpus counts and
                     hashes, and every measured perplexity (`metrics`)
    README.md        the model card, generated from metadata.json

and, with `--serving-dir`, the TF Serving SavedModel version `1/` there
(docs/serving.md).

The numbers are measured on the files as written (a float16 softmax is
scored as float16): the biLM's whole-sentence, full-softmax perplexity
(`keras-elmo perplexity`, forward / backward / average) on the held-out
text and on an out-of-domain text, each next to add-one unigram and
interpolated modified Kneser-Ney bigram and trigram models trained on the
run's training text with the same vocabulary and targets. So
`keras-elmo perplexity DESTINATION FILE` reproduces the card.

Usage (the shipped model):

    python -m tools.conll_to_text data/ablation/pos_brown/test.conll \
        data/ablation/brown_test_1000.txt --max-sentences 1000
    python -m tools.package_pretrained_model runs/elmo_tiny_en \
        saved_models/elmo_tiny_en/preset \
        --serving-dir saved_models/elmo_tiny_en \
        --heldout data/pretraining/heldout.txt \
        --out-of-domain data/ablation/brown_test_1000.txt \
        --train "data/pretraining/train/*.txt" \
        --corpus-stats data/pretraining/stats.json
"""

import argparse
import glob
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time

from keras_elmo.preprocessing.text_tokenizer import TEXT_TOKENIZER_FILE
from keras_elmo.preprocessing.text_tokenizer import TextTokenizer
from keras_elmo.presets import METADATA_FILE
from keras_elmo.presets import MODEL_CARD_FILE
from keras_elmo.presets import OPTIONS_FILE
from keras_elmo.presets import VOCABULARY_FILE
from keras_elmo.presets import WEIGHTS_FILE

DEFAULT_NAME = "elmo_tiny_en"
OUT_OF_DOMAIN_DESCRIPTION = (
    "Brown corpus (Francis & Kucera), test split of docs/ablations.md, "
    "first 1,000 sentences; not in the pretraining corpus"
)
BASELINE_LABELS = {
    "kneser_ney_trigram": "Kneser-Ney trigram (interpolated, modified)",
    "kneser_ney_bigram": "Kneser-Ney bigram (interpolated, modified)",
    "unigram_add_one": "unigram (add-one)",
}


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def directory_bytes(path):
    return sum(
        os.path.getsize(os.path.join(root, name))
        for root, _, names in os.walk(path)
        for name in names
    )


def read_run(run_dir):
    """The run's training record and the step of its latest checkpoint."""
    import re

    path = os.path.join(run_dir, "training_config.json")
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"{run_dir} is not a training run: {path} is missing."
        )
    with open(path, encoding="utf-8") as f:
        record = json.load(f)
    steps = None
    index = os.path.join(run_dir, "checkpoints", "checkpoint")
    if os.path.isfile(index):
        with open(index, encoding="utf-8") as f:
            match = re.search(r'model_checkpoint_path: "ckpt-(\d+)"', f.read())
        if match:
            steps = int(match.group(1))
    return record, steps


def source_export(run_dir, scratch):
    """A directory with the run's options.json, weights.hdf5, vocabulary.

    The run's `export/` (written when training ends) if it is complete and
    not older than the latest checkpoint; otherwise the latest checkpoint,
    exported into `scratch`.
    """
    export = os.path.join(run_dir, "export")
    files = (OPTIONS_FILE, WEIGHTS_FILE, VOCABULARY_FILE)
    if all(os.path.isfile(os.path.join(export, f)) for f in files):
        checkpoints = glob.glob(os.path.join(run_dir, "checkpoints", "*"))
        newest = max((os.path.getmtime(p) for p in checkpoints), default=0)
        if os.path.getmtime(os.path.join(export, WEIGHTS_FILE)) >= newest:
            return export, "export"
    from keras_elmo.training.checkpoints import export_checkpoint

    destination = os.path.join(scratch, "export")
    export_checkpoint(run_dir, destination)
    return destination, "latest checkpoint"


def corpus_text_tokenizer(source):
    """The `TextTokenizer` that cut the run's training text.

    The run's own `text_tokenizer.json` (`keras-elmo train
    --text-tokenizer`) when its export has one; else the corpus tokenizer
    of `tools/prepare_pretraining_corpus.py`, `TextTokenizer(mode="moses")`
    (tools/text_processing.py runs the same rules). The preset ships it, so
    raw text is split at embedding time as the corpus was.
    """
    recorded = TextTokenizer.load(source)
    return recorded if recorded is not None else TextTokenizer(mode="moses")


def write_preset_files(source, preset_dir, softmax_dtype):
    """Copy the language model files into `preset_dir`; softmax as asked.

    The one place that knows the preset's file layout (the presets module
    of the package owns the names: options.json, weights.hdf5 with the
    softmax, vocabulary.txt).
    """
    import h5py
    import numpy as np

    for name in (OPTIONS_FILE, VOCABULARY_FILE, WEIGHTS_FILE):
        shutil.copyfile(
            os.path.join(source, name), os.path.join(preset_dir, name)
        )
    weights = os.path.join(preset_dir, WEIGHTS_FILE)
    with h5py.File(weights, "a") as f:
        for key in ("softmax/W", "softmax/b"):
            if key not in f:
                raise ValueError(
                    f"{source}/weights.hdf5 has no '{key}': package a run "
                    "exported by keras_elmo's trainer (with its softmax)."
                )
        if softmax_dtype == "float16":
            for key in ("softmax/W", "softmax/b"):
                value = np.asarray(f[key][...], np.float16)
                del f[key]
                f.create_dataset(key, data=value)
    if softmax_dtype == "float16":
        # Deleted datasets leave free space in an hdf5 file: repack.
        packed = weights + ".packed"
        with h5py.File(weights, "r") as src, h5py.File(packed, "w") as dst:
            for key in src:
                src.copy(src[key], dst, name=key)
            for key, value in src.attrs.items():
                dst.attrs[key] = value
        os.replace(packed, weights)


def measure(preset_dir, train_files, texts, max_tokens_per_batch=4096):
    """biLM and baseline perplexities of each text (name -> path)."""
    from keras_elmo.preprocessing.word_vocabulary import load_vocabulary
    from keras_elmo.training.kneser_ney import baseline_perplexities
    from keras_elmo.training.perplexity import evaluate_perplexity

    vocabulary = load_vocabulary(os.path.join(preset_dir, VOCABULARY_FILE))
    started = time.time()
    results = baseline_perplexities(vocabulary, train_files, texts)
    baseline_seconds = time.time() - started
    for name, path in texts.items():
        started = time.time()
        bilm = evaluate_perplexity(
            preset_dir, path, max_tokens_per_batch=max_tokens_per_batch
        )
        results[name]["bilm"] = bilm
        results[name]["file"] = path
        results[name]["sha256"] = sha256_file(path)
        results[name]["bilm_seconds"] = round(time.time() - started, 1)
    for name in texts:
        results[name]["baseline_seconds"] = round(baseline_seconds, 1)
    return results


def corpus_record(stats_file):
    """Counts and source hashes of the pretraining corpus (stats.json)."""
    if not stats_file:
        return None
    with open(stats_file, encoding="utf-8") as f:
        stats = json.load(f)
    directory = os.path.dirname(stats_file)
    files = {}
    for split in stats.get("splits", {}).values():
        for name in split.get("files", []):
            path = os.path.join(directory, name)
            if os.path.isfile(path):
                files[name] = sha256_file(path)
    vocabulary = os.path.join(directory, stats["vocabulary"]["file"])
    if os.path.isfile(vocabulary):
        files[stats["vocabulary"]["file"]] = sha256_file(vocabulary)
    return {
        "sentences": stats["sentences"],
        "tokens": stats["tokens"],
        "splits": {
            name: {"sentences": s["sentences"], "tokens": s["tokens"]}
            for name, s in stats["splits"].items()
        },
        "vocabulary_size": stats["vocabulary"]["size"],
        "sources": {
            name: {
                key: source[key]
                for key in (
                    "registry",
                    "package",
                    "archive",
                    "archive_sha256",
                    "license",
                    "description",
                    "tokens",
                )
                if key in source
            }
            for name, source in stats["sources"].items()
        },
        "file_sha256": files,
    }


def training_record(record, steps, recipe):
    """The recipe of a run: its TrainingConfig, or the fields it stored."""
    config = record.get("config")
    if config is None:  # runs older than TrainingConfig
        from keras_elmo.training.training_config import RECIPES

        recorded = {
            key: record[key]
            for key in (
                "batch_size",
                "unroll_steps",
                "dropout",
                "seed",
                "optimizer",
                "num_negative_samples",
                "train_files",
                "steps",
            )
            if key in record
        }
        if isinstance(recorded.get("optimizer"), str):
            recorded["optimizer"] = recorded["optimizer"].lower()
        # The recipe's values, then what the run recorded.
        config = {**RECIPES.get(recipe, {}), **recorded, "recipe": recipe}
    return {
        "config": config,
        "steps_trained": steps,
        "train_files": config.get("train_files") or record.get("train_files"),
        "full_softmax": record.get(
            "full_softmax",
            record.get("num_negative_samples", 0)
            >= record.get("vocab_size", 1),
        ),
        "vocabulary_sha256": record.get("vocabulary_sha256"),
    }


def train_command(training, output_dir, options_file):
    """The `keras-elmo train` command that reproduces the recipe."""
    config = training["config"]
    recipe = config.get("recipe") or "adam"
    # The run's planned length (it sizes the schedule), not where it was
    # packaged.
    steps = config.get("steps") or training["steps_trained"]
    files = " ".join(f'"{p}"' for p in training["train_files"])
    # The softmax, learning rate and batch the run used, named: a recipe's
    # defaults may change (the `adam` recipe's did, from measurements).
    softmax = "full" if training["full_softmax"] else "sampled"
    lines = [
        f"keras-elmo train --recipe {recipe} --softmax {softmax} "
        f"--learning-rate {config['learning_rate']:g} "
        f"--batch-size {config['batch_size']} \\",
        f"    --train {files} \\",
        "    --validation data/pretraining/heldout.txt \\",
        "    --validation-steps 10 \\",
        "    --vocabulary data/pretraining/vocab.txt \\",
        f"    --options {options_file} \\",
        f"    --output-dir {output_dir} --steps {steps}"
        f" --checkpoint-every 100 --log-every 20",
    ]
    return "\n".join(lines)


def _row(label, values):
    return (
        f"| {label} | {values['forward']:.1f} | {values['backward']:.1f} "
        f"| {values['perplexity']:.1f} |"
    )


def perplexity_table(result):
    bilm = result["bilm"]
    lines = [
        "| model | forward | backward | average |",
        "|---|---:|---:|---:|",
        f"| **this biLM** | {bilm['forward_perplexity']:.1f} "
        f"| {bilm['backward_perplexity']:.1f} | **{bilm['perplexity']:.1f}** |",
    ]
    for key, label in BASELINE_LABELS.items():
        lines.append(_row(label, result[key]))
    return "\n".join(lines)


def model_card(metadata, name, destination):
    """README.md of the preset, every number from `metadata`."""
    evaluation = metadata["metrics"]
    heldout = evaluation["heldout"]
    training = metadata["training"]
    corpus = metadata.get("corpus")
    softmax = metadata["softmax"]
    config = training["config"]
    bilm = heldout["bilm"]
    trigram = heldout["kneser_ney_trigram"]["perplexity"]
    verdict = "below" if bilm["perplexity"] < trigram else "not yet below"
    lines = [
        f"# {name}: a tiny English biLM trained with keras_elmo",
        "",
        f'`keras_elmo.ELMo.from_preset("{name}")` (embeddings) and '
        f'`keras_elmo.ELMoLanguageModel.from_preset("{name}")` (the '
        "language model, to score text or continue training). "
        "An ELMo biLM trained from scratch with `keras-elmo train` on about "
        "5M tokens of public-domain and CC BY-SA English text fetched from "
        "package registries, on a 2-core CPU. Its held-out perplexity is "
        f"**{bilm['perplexity']:.1f}**, {verdict} the Kneser-Ney trigram "
        f"trained on the same text ({trigram:.1f}). It is small and briefly "
        "trained: a working demonstration of the pipeline, not a substitute "
        "for the official ELMo models (which `keras_elmo.ELMo."
        "from_bilm_hdf5` loads unchanged).",
        "",
        "## Files",
        "",
        "| file | what |",
        "|---|---|",
        "| `options.json`, `weights.hdf5` | the biLM in the original bilm-tf "
        "format (loads in keras_elmo, bilm-tf, AllenNLP), plus the softmax "
        f"({softmax['rows']:,} x {softmax['dim']}, {softmax['dtype']}) as "
        "`softmax/W`, `softmax/b` |",
        "| `vocabulary.txt` | the softmax rows |",
        f"| `{TEXT_TOKENIZER_FILE}` | the tokenizer that cut the corpus "
        "(`TextTokenizer`, Moses-style English rules: `it 's`, `Mr.`); "
        "`tokenize=True` and `keras-elmo embed --tokenize` use it |",
        "| `metadata.json` | every number below, the recipe, the corpus "
        "hashes |",
        f"| `saved_models/{name}/1/` | TF Serving SavedModel "
        "(docs/serving.md; kept outside the package) |",
        "",
        "## Perplexity (measured by `keras-elmo perplexity`)",
        "",
        "Full-softmax perplexity per target token; every sentence "
        "`<S> w1 .. wn </S>` is scored whole from a zero state (forward "
        "targets `w1 .. wn </S>`, backward `<S> w1 .. wn`, out-of-vocabulary "
        "words are `<UNK>` and counted). The n-gram baselines are trained on "
        "the same training text, with the same vocabulary and targets.",
        "",
        f"Held-out ({heldout['targets']:,} targets per direction, "
        f"{heldout['unknown_tokens']:,} out of the vocabulary; same "
        "documents as the training text):",
        "",
        perplexity_table(heldout),
    ]
    if "out_of_domain" in evaluation:
        ood = evaluation["out_of_domain"]
        lines += [
            "",
            f"Out of domain: {ood.get('description', ood['file'])} "
            f"({ood['targets']:,} targets per direction, "
            f"{ood['unknown_tokens']:,} out of the vocabulary):",
            "",
            perplexity_table(ood),
        ]
    lines += [
        "",
        "## Architecture",
        "",
        f"{metadata['parameters']:,} parameters in the biLM (character CNN "
        f"and LSTMs) and {softmax['parameters']:,} in the softmax. "
        "`options.json`: character CNN (char embedding 16, filters "
        "`[[1,32],[2,32],[3,64],[4,128],[5,128],[6,128],[7,128]]`, relu, 1 "
        "highway layer, projection 128); 2 layers x 2 directions of LSTM 512 "
        "projected to 128, cell and projection clip 3, skip connections.",
        "",
        "## Training",
        "",
        f"Recipe `{config.get('recipe')}` (docs/training.md): "
        + _recipe_sentence(config, training)
        + f" A run of {config.get('steps') or training['steps_trained']:,} "
        f"steps, packaged at step {training['steps_trained']:,} "
        f"({source_note(metadata)}).",
        "",
        "![Validation perplexity during training, beside the earlier model]"
        "(../../../docs/figures/pretraining_curves.png)",
    ]
    if corpus:
        lines += [
            "",
            "## Corpus",
            "",
            "| source | registry package | tokens | license |",
            "|---|---|---:|---|",
        ]
        for source in corpus["sources"].values():
            lines.append(
                f"| {source.get('description', '')} | {source['registry']} "
                f"`{source['package']}` | {source['tokens']:,} "
                f"| {source['license']} |"
            )
        splits = corpus["splits"]
        lines += [
            "",
            f"{corpus['sentences']:,} sentences, {corpus['tokens']:,} tokens; "
            f"train {splits['train']['tokens']:,} tokens, held-out "
            f"{splits['heldout']['tokens']:,} tokens "
            f"({splits['heldout']['sentences']:,} sentences); vocabulary "
            f"{corpus['vocabulary_size']:,}. SHA-256 of every file in "
            "`metadata.json` (`corpus.file_sha256`).",
        ]
    lines += [
        "",
        "## Reproduce",
        "",
        # The docs test runs every block; this one needs the network.
        "> Not run in CI: fetches the corpus from the package registries "
        "and trains for an hour.",
        "```bash",
        "python -m tools.prepare_ablation_data       # -> data/ablation/",
        "python -m tools.prepare_pretraining_corpus  # -> data/pretraining/",
        metadata["reproduce"]["train"],
        *metadata["reproduce"]["out_of_domain"],
        metadata["reproduce"]["package"],
        *metadata["reproduce"]["perplexity"],
        "```",
        "",
        "The ablation data is prepared first so that its sentences are "
        "removed from the pretraining corpus. `perplexity` trains the n-gram "
        "baselines on the training files named in `metadata.json` "
        "(`--train` to give others).",
        "",
    ]
    return "\n".join(lines)


def source_note(metadata):
    kind = metadata.get("packaged_from")
    return (
        "its final export"
        if kind == "export"
        else "the latest checkpoint, exported for packaging"
    )


def _recipe_sentence(config, training):
    optimizer = str(config.get("optimizer", "")).lower()
    parts = []
    if optimizer == "adam" and "learning_rate" in config:
        parts.append(
            f"Adam, peak learning rate {config['learning_rate']:g} after "
            f"{config['warmup_steps']} warmup steps, cosine decay to "
            f"{config['final_learning_rate_fraction']:g}x,"
        )
    elif optimizer:
        parts.append(f"{config['optimizer']},")
    if "global_clipnorm" in config:
        parts.append(f"gradient-norm clip {config['global_clipnorm']:g},")
    parts.append(
        "full softmax," if training["full_softmax"] else "sampled softmax,"
    )
    parts.append(
        f"dropout {config.get('dropout', 0):g}, batch "
        f"{config.get('batch_size')} x {config.get('unroll_steps', 20)} "
        "tokens."
    )
    return " ".join(parts)


def _previous_metadata(destination):
    """The metadata.json of the preset being replaced (kept entries)."""
    path = os.path.join(destination, METADATA_FILE)
    if not os.path.isfile(path):
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def package(args):
    """Write the preset (see the module docstring); returns metadata."""
    import h5py
    import numpy as np

    from keras_elmo.export.saved_model import export_saved_model
    from keras_elmo.models.elmo import ELMo
    from keras_elmo.utils.atomic import atomic_path

    record, steps = read_run(args.run_dir)
    training = training_record(record, steps, args.recipe)
    if args.train:
        # As the user gave them (relative to the repository, so that the
        # card's commands and `keras-elmo perplexity` find them).
        training["train_files"] = list(args.train)
    train_files = training["train_files"]
    if not train_files:
        raise ValueError(
            "The run records no training files: give --train for the "
            "n-gram baselines."
        )
    texts = {"heldout": args.heldout}
    if args.out_of_domain:
        texts["out_of_domain"] = args.out_of_domain
    for path in texts.values():
        if not os.path.isfile(path):
            raise FileNotFoundError(f"No such text file: {path!r}")
    corpus = corpus_record(args.corpus_stats)
    previous = _previous_metadata(args.destination)
    with tempfile.TemporaryDirectory() as scratch:
        source, source_kind = source_export(args.run_dir, scratch)
        with atomic_path(args.destination, directory=True) as tmp:
            softmax_dtype = args.softmax_dtype
            if softmax_dtype == "auto":
                softmax_dtype = "float32"
            write_preset_files(source, tmp, softmax_dtype)
            if (
                directory_bytes(tmp) / 1e6 > args.max_megabytes
                and args.softmax_dtype == "auto"
            ):
                softmax_dtype = "float16"
                write_preset_files(source, tmp, softmax_dtype)
            megabytes = directory_bytes(tmp) / 1e6
            if megabytes > args.max_megabytes:
                raise ValueError(
                    f"The preset takes {megabytes:.1f} MB, more than "
                    f"--max-megabytes {args.max_megabytes}."
                )
            text_tokenizer = corpus_text_tokenizer(source)
            text_tokenizer.save(tmp)
            model = ELMo.from_bilm_hdf5(
                os.path.join(tmp, OPTIONS_FILE),
                os.path.join(tmp, WEIGHTS_FILE),
            )
            evaluation = measure(tmp, train_files, texts)
            if "out_of_domain" in evaluation:
                evaluation["out_of_domain"]["description"] = (
                    args.out_of_domain_description
                )
            with h5py.File(os.path.join(tmp, WEIGHTS_FILE), "r") as f:
                vocab_size, softmax_dim = f["softmax/W"].shape
            bilm = evaluation["heldout"]["bilm"]["perplexity"]
            metadata = {
                # Entries of the preset being replaced that describe it.
                **{
                    key: previous[key]
                    for key in ("description", "license", "training_data")
                    if key in previous
                },
                "name": args.name,
                "language": "en",
                "parameters": int(model.count_params()),
                "source": (
                    f"trained with keras_elmo (keras-elmo train, recipe "
                    f"{training['config'].get('recipe')}, {steps} steps), "
                    f"{time.strftime('%Y-%m-%d')}; held-out perplexity "
                    f"{bilm:.1f}"
                ),
                "softmax": {
                    "rows": int(vocab_size),
                    "dim": int(softmax_dim),
                    "dtype": softmax_dtype,
                    "parameters": int(vocab_size * softmax_dim + vocab_size),
                },
                "metrics": evaluation,
                "packaged_from": source_kind,
                "training": training,
                "corpus": corpus,
                "reproduce": {
                    "train": train_command(
                        training,
                        f"runs/{args.name}",
                        f"{args.destination}/{OPTIONS_FILE}",
                    ),
                    "package": _package_command(args),
                    "out_of_domain": (
                        [
                            "python -m tools.conll_to_text "
                            "data/ablation/pos_brown/test.conll \\",
                            f"    {args.out_of_domain} --max-sentences 1000",
                        ]
                        if args.out_of_domain
                        else []
                    ),
                    "perplexity": [
                        f"keras-elmo perplexity {args.destination} {path}"
                        for path in texts.values()
                    ],
                },
                "software": _software(),
            }
            with open(os.path.join(tmp, MODEL_CARD_FILE), "w") as f:
                f.write(model_card(metadata, args.name, args.destination))
            with open(os.path.join(tmp, METADATA_FILE), "w") as f:
                json.dump(
                    metadata,
                    f,
                    indent=2,
                    sort_keys=True,
                    default=_json_default(np),
                )
                f.write("\n")
            metadata["preset_megabytes"] = round(directory_bytes(tmp) / 1e6, 1)
            os.chmod(tmp, 0o755)  # a package directory, readable by all
        if args.serving_dir:
            # After the preset is in place; a new version directory.
            served = ELMo.from_bilm_hdf5(
                os.path.join(args.destination, OPTIONS_FILE),
                os.path.join(args.destination, WEIGHTS_FILE),
            )
            version = os.path.join(args.serving_dir, "1")
            if os.path.isdir(version):
                shutil.rmtree(version)  # the model being replaced
            export_saved_model(
                served,
                args.serving_dir,
                version=1,
                text_tokenizer=TextTokenizer.load(args.destination),
            )
    return metadata


def _package_command(args):
    lines = [
        f"python -m tools.package_pretrained_model runs/{args.name} "
        f"{args.destination} \\"
    ]
    if args.serving_dir:
        lines.append(f"    --serving-dir {args.serving_dir} \\")
    lines.append(f"    --heldout {args.heldout} \\")
    if args.out_of_domain:
        lines.append(f"    --out-of-domain {args.out_of_domain} \\")
    if args.train:
        files = " ".join(f'"{p}"' for p in args.train)
        lines.append(f"    --train {files} \\")
    if args.corpus_stats:
        lines.append(f"    --corpus-stats {args.corpus_stats} \\")
    lines[-1] = lines[-1][: -len(" \\")]
    return "\n".join(lines)


def _json_default(np):
    def default(value):
        if isinstance(value, np.generic):
            return value.item()
        raise TypeError(f"Not JSON serialisable: {value!r}")

    return default


def _software():
    import keras
    import tensorflow as tf

    return {"tensorflow": tf.__version__, "keras": keras.__version__}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", help="the training run (output_dir)")
    parser.add_argument("destination", help="the preset directory to write")
    parser.add_argument(
        "--serving-dir", help="also write TF Serving version 1/ here"
    )
    parser.add_argument("--heldout", required=True, help="held-out text")
    parser.add_argument("--out-of-domain", help="out-of-domain text")
    parser.add_argument(
        "--out-of-domain-description", default=OUT_OF_DOMAIN_DESCRIPTION
    )
    parser.add_argument(
        "--train",
        nargs="+",
        help="training text of the n-gram baselines (default: the run's)",
    )
    parser.add_argument(
        "--corpus-stats", help="stats.json of the pretraining corpus"
    )
    parser.add_argument("--name", default=DEFAULT_NAME)
    parser.add_argument(
        "--recipe",
        default="adam",
        help="recipe name recorded for runs older than training recipes",
    )
    parser.add_argument(
        "--softmax-dtype",
        choices=("auto", "float32", "float16"),
        default="auto",
        help="auto: float32 unless the preset would pass --max-megabytes",
    )
    parser.add_argument("--max-megabytes", type=float, default=60.0)
    args = parser.parse_args(argv)
    metadata = package(args)
    summary = {
        name: {
            "bilm": round(result["bilm"]["perplexity"], 1),
            **{
                key: round(result[key]["perplexity"], 1)
                for key in BASELINE_LABELS
            },
        }
        for name, result in metadata["metrics"].items()
    }
    print(json.dumps(summary, indent=2))
    print(f"Wrote {args.destination} ({metadata['preset_megabytes']} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
