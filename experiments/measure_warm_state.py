"""Zero vs warm vs carried (stateful) LSTM state: agreement and POS accuracy.

Two measurements of a model directory with a `warm_state.npz`
(`keras-elmo warm-state PRESET TEXT`):

1. Agreement with the stateful outputs. The held-out text is read as one
   stream, one sentence at a time, the LSTM states carried from each
   sentence to the next (bilm-tf's `dump_bilm_embeddings`); after a burn-in
   of `--burn-in` sentences, every sentence's biLM layers 1..L are compared
   with the same sentence's layers from a zero and from a warm start:
   cosine similarity per token (mean, and over the first 3 tokens), and the
   absolute difference (mean, and max).
2. Part-of-speech accuracy (`experiments/run_ablations.py`, Brown POS, the
   `learned_l2_small` configuration and the no-ELMo baseline) with the
   biLM features computed from zeros, the warm state and the carried state.

Writes `results.json` and `table.md` to `--output-dir` and prints the table.

Usage:

    python -m experiments.measure_warm_state \\
        --model elmo_tiny_en \\
        --text data/pretraining/heldout.txt --data-dir data/ablation \\
        --output-dir runs/warm_state --seeds 0
"""

import argparse
import json
import os
import time

import numpy as np

from experiments import ablation_data
from experiments import run_ablations

STATES = ("zeros", "warm", "stateful")


def read_stream(path, limit):
    sentences = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.split():
                sentences.append(line.split())
            if len(sentences) == limit:
                break
    return sentences


def layer_features(model, sentences):
    """`{state: [layers of each sentence]}` for the three starting states."""
    from keras_elmo.inference.elmo_embedder import ELMoEmbedder
    from keras_elmo.presets import resolve_preset

    preset = resolve_preset(model)
    features = {
        "stateful": ablation_data.stateful_layers(
            preset.options_file, preset.weights_file, sentences
        )
    }
    for state in ("zeros", "warm"):
        embedder = ELMoEmbedder.from_preset(model, initial_state=state)
        features[state] = embedder.embed_sentences(sentences, output="all")
    return features


def agreement(features, burn_in):
    """Cosine and absolute differences of zeros / warm vs stateful."""
    results = {}
    reference = features["stateful"][burn_in:]
    num_layers = reference[0].shape[0] - 1
    for state in ("zeros", "warm"):
        rows = {}
        for layer in range(1, num_layers + 1):
            cosines, first, diffs, maxima = [], [], [], []
            for ours, theirs in zip(features[state][burn_in:], reference):
                a, b = ours[layer], theirs[layer]  # (n, dim)
                cos = np.sum(a * b, -1) / (
                    np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1)
                    + 1e-12
                )  # (n,)
                cosines.extend(cos)
                first.extend(cos[:3])
                diffs.append(np.abs(a - b).mean())
                maxima.append(np.abs(a - b).max())
            rows[f"layer_{layer}"] = {
                "cosine_mean": float(np.mean(cosines)),
                "cosine_first_3_tokens": float(np.mean(first)),
                "abs_diff_mean": float(np.mean(diffs)),
                "abs_diff_max": float(np.max(maxima)),
            }
        results[state] = rows
    return results


def pos_accuracies(args):
    """Test accuracies of run_ablations for each starting state."""
    results = {}
    common = [
        "--model", args.model,
        "--data-dir", args.data_dir,
        "--tasks", "pos_brown",
        "--limit", args.limit,
        "--seeds", *map(str, args.seeds),
        "--cache-dir", os.path.join(args.output_dir, "cache"),
        "--max-epochs", str(args.max_epochs),
        "--quiet",
    ]  # fmt: skip
    for state in STATES:
        run = run_ablations.main(
            common
            + [
                "--configs", "learned_l2_small",
                "--initial-state", state,
                "--output-dir", os.path.join(args.output_dir, state),
            ]
        )  # fmt: skip
        results[state] = [r["test_accuracy"] for r in run["runs"]]
    baseline = run_ablations.main(
        common
        + [
            "--configs", "no_elmo",
            "--output-dir", os.path.join(args.output_dir, "no_elmo"),
        ]
    )  # fmt: skip
    results["no_elmo"] = [r["test_accuracy"] for r in baseline["runs"]]
    return results


def markdown(agree, pos, settings):
    lines = [
        f"Agreement with the carried (stateful) outputs, "
        f"{settings['sentences'] - settings['burn_in']} held-out sentences "
        f"after a burn-in of {settings['burn_in']} (layers 1 and 2; layer 0 "
        "is context-free and identical):",
        "",
        "| start | layer | cosine (mean) | cosine (first 3 tokens) "
        "| mean abs diff | max abs diff |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for state in ("zeros", "warm"):
        for layer, row in agree[state].items():
            lines.append(
                f"| {state} | {layer[-1]} | {row['cosine_mean']:.4f} | "
                f"{row['cosine_first_3_tokens']:.4f} | "
                f"{row['abs_diff_mean']:.4f} | {row['abs_diff_max']:.3f} |"
            )
    lines += [
        "",
        f"POS accuracy (Brown, {settings['limit']}, learned_l2_small, "
        f"seeds {settings['seeds']}):",
        "",
        "| biLM features | test accuracy (%) |",
        "| --- | --- |",
    ]
    for state in ("no_elmo",) + STATES:
        values = 100 * np.asarray(pos[state])
        spread = f" ± {values.std(ddof=1):.2f}" if len(values) > 1 else ""
        name = "no ELMo (baseline)" if state == "no_elmo" else state
        lines.append(f"| {name} | {values.mean():.2f}{spread} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="elmo_tiny_en")
    parser.add_argument("--text", default="data/pretraining/heldout.txt")
    parser.add_argument("--sentences", type=int, default=300)
    parser.add_argument("--burn-in", type=int, default=20)
    parser.add_argument("--data-dir", default="data/ablation")
    parser.add_argument("--limit", default="pos_brown=1000,500,1000")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--max-epochs", type=int, default=30)
    parser.add_argument("--output-dir", default="runs/warm_state")
    parser.add_argument("--skip-pos", action="store_true")
    args = parser.parse_args(argv)
    if args.sentences <= args.burn_in:
        parser.error("--sentences must be larger than --burn-in")
    os.makedirs(args.output_dir, exist_ok=True)
    start = time.time()
    sentences = read_stream(args.text, args.sentences)
    agree = agreement(layer_features(args.model, sentences), args.burn_in)
    print(json.dumps(agree, indent=1), flush=True)
    pos = {s: [float("nan")] for s in ("no_elmo",) + STATES}
    if not args.skip_pos:
        pos = pos_accuracies(args)
    settings = {
        "model": args.model,
        "text": args.text,
        "sentences": len(sentences),
        "burn_in": args.burn_in,
        "limit": args.limit,
        "seeds": args.seeds,
        "max_epochs": args.max_epochs,
        "seconds": round(time.time() - start),
    }
    table = markdown(agree, pos, settings)
    with open(os.path.join(args.output_dir, "results.json"), "w") as f:
        json.dump({"settings": settings, "agreement": agree, "pos": pos}, f)
    with open(os.path.join(args.output_dir, "table.md"), "w") as f:
        f.write(table)
    print(table)
    return {"agreement": agree, "pos": pos, "table": table}


if __name__ == "__main__":
    main()
