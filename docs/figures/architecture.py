"""Draws docs/figures/architecture.png: ELMo from characters to the mix.

Characters -> character CNN -> highway -> projection (layer 0) -> biLSTM
layers (1, 2) -> the task's weighted mix of the layers. Sizes are those of
`elmo_original_en`; `elmo_tiny_en` is in brackets.

Usage (needs matplotlib: `pip install -e ".[docs]"`):

    python docs/figures/architecture.py [--output PATH]
"""

import argparse
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent / "architecture.png"

# (label, detail, y) of the stack, bottom to top; one token's column.
STACK = (
    ("characters", "a token's UTF-8 bytes as 50 ids, e.g. 'cat'", 0.6),
    ("character embedding", "16 numbers per character", 2.0),
    (
        "convolutions + max-pool",
        "widths 1-7 over the characters: 2,048 filters [640]",
        3.4,
    ),
    ("highway", "2 layers [1]: gated, x + transformed x", 4.8),
    ("projection: layer 0", "the token's vector, P = 512 [128]", 6.2),
    (
        "biLSTM layer 1",
        "forward LSTM (left to right) | backward LSTM (right to left)",
        7.9,
    ),
    ("biLSTM layer 2", "the same above layer 1, 4,096 [512] units each", 9.6),
)
LAYER_ROWS = {"projection: layer 0": 0, "biLSTM layer 1": 1}
LAYER_ROWS["biLSTM layer 2"] = 2
BOX_WIDTH, BOX_HEIGHT, X = 5.6, 0.95, 0.3


def draw(output):
    """Write the figure to `output` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    figure, axis = plt.subplots(figsize=(9, 7.2), dpi=110)
    axis.set_xlim(0, 10.4)
    axis.set_ylim(0, 11.4)
    axis.axis("off")
    centre = X + BOX_WIDTH / 2

    def box(x, y, width, label, detail, colour):
        axis.add_patch(
            FancyBboxPatch(
                (x, y - BOX_HEIGHT / 2),
                width,
                BOX_HEIGHT,
                boxstyle="round,pad=0.02,rounding_size=0.12",
                facecolor=colour,
                edgecolor="#333333",
                linewidth=1.0,
            )
        )
        axis.text(
            x + width / 2, y + 0.15, label, ha="center", va="center",
            fontsize=10.5, weight="bold",
        )  # fmt: skip
        axis.text(
            x + width / 2, y - 0.22, detail, ha="center", va="center",
            fontsize=8.2,
        )  # fmt: skip

    def arrow(start, end, colour="#333333"):
        axis.annotate(
            "",
            xy=end,
            xytext=start,
            arrowprops=dict(arrowstyle="-|>", color=colour, linewidth=1.2),
        )

    colours = {"characters": "#f2f2f2"}
    previous = None
    for label, detail, y in STACK:
        if label in LAYER_ROWS:
            colour = "#dbe9f6" if LAYER_ROWS[label] else "#e4f2df"
        else:
            colour = colours.get(label, "#e4f2df")
        box(X, y, BOX_WIDTH, label, detail, colour)
        if previous is not None:
            arrow(
                (centre, previous + BOX_HEIGHT / 2),
                (centre, y - BOX_HEIGHT / 2),
            )
        previous = y
    axis.text(
        X, 1.3, "char CNN: one token, no context",
        fontsize=8.5, style="italic", color="#2d6a2d",
    )  # fmt: skip
    axis.text(
        X, 7.05, "biLM: reads the whole sentence",
        fontsize=8.5, style="italic", color="#1f4e79",
    )  # fmt: skip

    mix_x, mix_y, mix_width = 6.7, 4.8, 3.4
    box(
        mix_x, mix_y, mix_width, "weighted mix (the task's)",
        "ELMo = γ · Σ_j softmax(s)_j · layer_j", "#fbe5c8",
    )  # fmt: skip
    for label, row in LAYER_ROWS.items():
        y = next(y for name, _, y in STACK if name == label)
        arrow(
            (X + BOX_WIDTH, y),
            (mix_x + 0.4 + 0.9 * row, mix_y + BOX_HEIGHT / 2),
            colour="#b36b00",
        )
        axis.text(
            X + BOX_WIDTH + 0.1, y + 0.12, f"s{row}", color="#b36b00",
            fontsize=9,
        )  # fmt: skip
    box(
        mix_x, 2.6, mix_width, "ELMo vector",
        "2P = 1,024 [256] per token, to your model", "#f2f2f2",
    )  # fmt: skip
    arrow(
        (mix_x + mix_width / 2, mix_y - BOX_HEIGHT / 2),
        (mix_x + mix_width / 2, 2.6 + BOX_HEIGHT / 2),
    )
    axis.text(
        0.3, 11.0,
        "ELMo: sizes of elmo_original_en, [elmo_tiny_en] in brackets",
        fontsize=11, weight="bold",
    )  # fmt: skip
    figure.tight_layout()
    figure.savefig(output)
    plt.close(figure)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", default=str(OUTPUT))
    args = parser.parse_args(argv)
    draw(args.output)


if __name__ == "__main__":
    main()
