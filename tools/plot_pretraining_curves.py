"""Plots biLM pretraining curves (perplexity vs step) from TensorBoard logs.

Reads the `train/` and `validation/` event files that `keras-elmo train`
writes under `OUTPUT_DIR/logs` (TF2 summaries store scalars as tensors; old
TF1-style scalar events are read too) and draws the train and validation
perplexities (average of the two directions; the validation directions
dashed) on a log scale. The train values are running means (restarted at
each checkpoint) of the sampled-softmax loss with dropout, the validation
values full-softmax perplexities without dropout, so the two are not
directly comparable. A resumed run's repeated steps keep the last value.

Usage:

    python -m tools.plot_pretraining_curves \\
        --log-dir runs/elmo_tiny_en/logs \\
        --output docs/figures/pretraining_curves.png

`--record FILE.json` draws recorded points instead of logs: `{"title":
..., "runs": {label: {"perplexity": [[steps], [values]]}}}`. The shipped
model's figure is drawn this way from `docs/figures/pretraining_curves.json`
(the validation points its run printed, as its model card lists them; the
run's TensorBoard logs are not kept in the repository):

    python -m tools.plot_pretraining_curves \\
        --record docs/figures/pretraining_curves.json
"""

import argparse
import json
import os
from pathlib import Path

from tools.figures import headless_pyplot
from tools.figures import save_figure

REPO_ROOT = Path(__file__).resolve().parents[1]
SPLITS = ("train", "validation")


def read_scalars(log_dir):
    """All scalars of one TensorBoard run directory.

    Args:
        log_dir: str. A directory of `events.out.tfevents.*` files.

    Returns:
        `{tag: (steps, values)}`, lists sorted by step; for a step logged
        more than once (a resumed run), the last value wins.

    Example:

    >>> read_scalars("runs/elmo_tiny_en/logs/validation")["perplexity"]
    """
    import tensorflow as tf
    from tensorboard.backend.event_processing import event_accumulator

    if not os.path.isdir(log_dir):
        raise FileNotFoundError(f"No TensorBoard log directory: {log_dir}")
    accumulator = event_accumulator.EventAccumulator(
        str(log_dir),
        size_guidance={
            event_accumulator.TENSORS: 0,
            event_accumulator.SCALARS: 0,
        },
    )
    accumulator.Reload()
    tags = accumulator.Tags()
    by_tag = {}
    for tag in tags.get("tensors", []):
        for event in accumulator.Tensors(tag):
            value = tf.make_ndarray(event.tensor_proto)
            if value.size != 1:
                continue  # not a scalar summary
            by_tag.setdefault(tag, {})[event.step] = float(value.reshape(()))
    for tag in tags.get("scalars", []):
        for event in accumulator.Scalars(tag):
            by_tag.setdefault(tag, {})[event.step] = float(event.value)
    return {
        tag: ([s for s in sorted(values)], [values[s] for s in sorted(values)])
        for tag, values in by_tag.items()
    }


def plot_curves(runs, output, title=None, baseline=None, mark_step=None):
    """Draw `{split: read_scalars(...)}` perplexities into `output` (PNG).

    Args:
        runs: dict split name -> scalars of that split.
        output: str. PNG path.
        title: str or None.
        baseline: float or None. A reference perplexity drawn as a
            horizontal line (e.g. a unigram model's).
        mark_step: int or None. A step drawn as a vertical line (e.g. the
            checkpoint that was shipped).
    """
    plt = headless_pyplot()

    figure, axis = plt.subplots(figsize=(7, 4.2), dpi=120)
    styles = {"train": ("C0", 0.9), "validation": ("C3", 2.0)}
    notes = {
        "train": "sampled softmax, dropout, running mean",
        "validation": "full softmax",
    }
    drawn = 0
    for split, scalars in runs.items():
        color, width = styles.get(split, (("C3", "C0", "C2")[drawn % 3], 1.5))
        if "perplexity" in scalars:
            steps, values = scalars["perplexity"]
            # Validation and recorded points are sparse: mark each one.
            marker = None if split == "train" else "o"
            axis.plot(
                steps,
                values,
                color=color,
                linewidth=width,
                marker=marker,
                markersize=3,
                label=f"{split} ({notes[split]})" if split in notes else split,
            )
            drawn += 1
        if split == "validation":
            for tag, style in (
                ("forward_perplexity", "--"),
                ("backward_perplexity", ":"),
            ):
                if tag in scalars:
                    axis.plot(
                        *scalars[tag],
                        color=color,
                        linestyle=style,
                        linewidth=1.0,
                        label=f"{split} {tag.split('_')[0]}",
                    )
    if not drawn:
        raise ValueError(
            "No 'perplexity' scalars in the logs; is this a keras-elmo "
            "training log directory?"
        )
    if baseline:
        axis.axhline(
            baseline,
            color="grey",
            linestyle="-.",
            linewidth=1.0,
            label=f"unigram baseline ({baseline:.0f})",
        )
    if mark_step is not None:
        axis.axvline(
            mark_step,
            color="black",
            linestyle=":",
            linewidth=1.0,
            label=f"checkpoint used (step {mark_step})",
        )
    axis.set_yscale("log")
    axis.set_xlabel("training step")
    axis.set_ylabel("perplexity (log scale)")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(fontsize=8)
    if title:
        axis.set_title(title, fontsize=10)
    save_figure(figure, output)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--log-dir",
        default=str(REPO_ROOT / "runs" / "elmo_tiny_en" / "logs"),
        help="the logs/ directory of a keras-elmo training run",
    )
    parser.add_argument(
        "--output",
        default=str(REPO_ROOT / "docs" / "figures" / "pretraining_curves.png"),
    )
    parser.add_argument(
        "--record",
        help="a JSON file of recorded points to draw instead of --log-dir",
    )
    parser.add_argument("--title", default="biLM pretraining")
    parser.add_argument(
        "--baseline-perplexity",
        type=float,
        help="draw a reference perplexity (e.g. unigram) as a line",
    )
    parser.add_argument(
        "--mark-step",
        type=int,
        help="draw a vertical line at this step (e.g. the shipped checkpoint)",
    )
    args = parser.parse_args(argv)
    if args.record:
        with open(args.record, encoding="utf-8") as f:
            record = json.load(f)
        plot_curves(
            record["runs"],
            args.output,
            record.get("title", args.title),
            args.baseline_perplexity,
            args.mark_step,
        )
        return
    runs = {}
    for split in SPLITS:
        directory = os.path.join(args.log_dir, split)
        if os.path.isdir(directory):
            runs[split] = read_scalars(directory)
    if not runs:
        parser.error(f"no train/ or validation/ logs under {args.log_dir}")
    plot_curves(
        runs,
        args.output,
        args.title,
        args.baseline_perplexity,
        args.mark_step,
    )
    for split, scalars in runs.items():
        if "perplexity" in scalars:
            steps, values = scalars["perplexity"]
            print(
                f"{split}: {len(steps)} points, last step {steps[-1]}, "
                f"perplexity {values[-1]:.1f}"
            )
    print(f"Wrote {args.output}")
    return runs


if __name__ == "__main__":
    main()
