"""Plots the task-learned ELMo layer weights softmax(w) of the ablations.

Reads `results.json` of `experiments/run_ablations.py` and draws, per task, the
weight each learned mix gives to each biLM layer (layer 0: the character
CNN token layer; then the LSTM layers), as the mean over the seeds with
the standard deviation as an error bar. The dotted line is the equal
average `1 / (n_layers + 1)`.

Usage:

    python -m experiments.plot_layer_weights \\
        --results runs/ablations/results.json \\
        --output docs/figures/layer_weights.png
"""

import argparse
import json
from pathlib import Path

import numpy as np

from tools.figures import headless_pyplot
from tools.figures import save_figure

REPO_ROOT = Path(__file__).resolve().parents[1]
# (configuration, mix placement, legend label), in drawing order.
MIXES = (
    ("learned_l2_small", "input", "input only, L2 0.001"),
    ("learned_l2_large", "input", "input only, L2 1"),
    ("output_only", "output", "output only, L2 0.001"),
    ("input_output", "input", "input+output: input mix"),
    ("input_output", "output", "input+output: output mix"),
)


def collect_weights(runs):
    """`{task: {(config, placement): array [seeds, layers]}}`."""
    weights = {}
    for run in runs:
        for placement, mix in run.get("layer_weights", {}).items():
            if "softmax_w" not in mix:
                continue
            key = (run["config"], placement)
            weights.setdefault(run["task"], {}).setdefault(key, []).append(
                mix["softmax_w"]
            )
    return {
        task: {key: np.asarray(v) for key, v in mixes.items()}
        for task, mixes in weights.items()
    }


def layer_names(num_layers):
    """`["char CNN", "LSTM 1", ...]` for `num_layers` biLM layers."""
    return ["char CNN"] + [f"LSTM {i}" for i in range(1, num_layers)]


def plot_weights(weights, output, title=None):
    """Grouped bar chart, one panel per task, written to `output` (PNG)."""
    plt = headless_pyplot()

    tasks = sorted(weights)
    if not tasks:
        raise ValueError("No learned layer weights in the results.")
    figure, axes = plt.subplots(
        1, len(tasks), figsize=(5.2 * len(tasks), 3.8), dpi=120, squeeze=False
    )
    for axis, task in zip(axes[0], tasks):
        present = [m for m in MIXES if (m[0], m[1]) in weights[task]]
        num_layers = weights[task][present[0][:2]].shape[1]
        x = np.arange(num_layers)
        width = 0.8 / len(present)
        for i, (config, placement, label) in enumerate(present):
            values = weights[task][(config, placement)]  # (seeds, layers)
            axis.bar(
                x + (i - (len(present) - 1) / 2) * width,
                values.mean(axis=0),
                width,
                yerr=values.std(axis=0),
                capsize=2,
                label=f"{label} (n={len(values)})",
                color=f"C{MIXES.index((config, placement, label))}",
            )
        axis.axhline(1.0 / num_layers, color="grey", linestyle=":")
        axis.set_xticks(x, layer_names(num_layers))
        axis.set_ylim(0, 1)
        axis.set_ylabel("softmax(w)")
        axis.set_title(task)
        axis.grid(True, axis="y", alpha=0.3)
    axes[0][-1].legend(fontsize=7, loc="upper right")
    if title:
        figure.suptitle(title, fontsize=10)
    save_figure(figure, output)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--results",
        default=str(REPO_ROOT / "runs" / "ablations" / "results.json"),
    )
    parser.add_argument(
        "--output",
        default=str(REPO_ROOT / "docs" / "figures" / "layer_weights.png"),
    )
    parser.add_argument("--title", default="Task-learned ELMo layer weights")
    args = parser.parse_args(argv)
    with open(args.results, encoding="utf-8") as f:
        results = json.load(f)
    weights = collect_weights(results["runs"])
    plot_weights(weights, args.output, args.title)
    for task, mixes in sorted(weights.items()):
        for (config, placement), values in mixes.items():
            mean = ", ".join(f"{v:.3f}" for v in values.mean(axis=0))
            print(f"{task} {config} {placement}: [{mean}]")
    print(f"Wrote {args.output}")
    return weights


if __name__ == "__main__":
    main()
