"""The ablation script end to end on a tiny subset, with the fixture biLM."""

import json
import math
import re

import pytest

from experiments import ablation_data
from experiments import ablation_models
from experiments import run_ablations
from tests.fixtures.generated import generated_model_dir

POLARITY = [
    ("positive", "a fine and moving film ."),
    ("negative", "a dull , tedious mess ."),
    ("positive", "warm , funny and wise ."),
    ("negative", "the plot is thin and slow ."),
    ("positive", "one of the best films this year ."),
    ("negative", "nothing here works at all ."),
]
TAGGED = [
    [("the", "DET"), ("cat", "NOUN"), ("sat", "VERB"), (".", ".")],
    [("a", "DET"), ("dog", "NOUN"), ("ran", "VERB"), ("home", "NOUN")],
    [("she", "PRON"), ("reads", "VERB"), ("old", "ADJ"), ("books", "NOUN")],
]


def write_toy_tasks(root):
    """Writes `polarity` (tsv) and `pos_toy` (conll) task folders."""
    for split in ablation_data.SPLITS:
        folder = root / "polarity"
        folder.mkdir(parents=True, exist_ok=True)
        lines = [f"{label}\t{text}\n" for label, text in POLARITY]
        (folder / f"{split}.tsv").write_text("".join(lines))
        folder = root / "pos_toy"
        folder.mkdir(parents=True, exist_ok=True)
        text = "\n".join(
            "".join(f"{w}\t{t}\n" for w, t in sentence) for sentence in TAGGED
        )
        (folder / f"{split}.conll").write_text(text)


@pytest.mark.large
def test_ablation_table_on_a_tiny_subset(tmp_path):
    fixtures = generated_model_dir()
    write_toy_tasks(tmp_path / "data")
    argv = [
        "--options", str(fixtures / "options.json"),
        "--weights", str(fixtures / "lm_weights.hdf5"),
        "--data-dir", str(tmp_path / "data"),
        "--tasks", "polarity", "pos_toy",
        "--limit", "polarity=4,6,6",
        "--seeds", "0",
        "--max-epochs", "1",
        "--patience", "1",
        "--lstm-units", "4",
        "--word-dim", "4",
        "--batch-size", "8",
        "--run-eagerly",
        "--cache-dir", str(tmp_path / "cache"),
        "--output-dir", str(tmp_path / "out"),
        "--quiet",
    ]  # fmt: skip
    result = run_ablations.main(argv)

    names = [c.name for c in ablation_models.CONFIGS]
    assert len(result["runs"]) == 2 * len(names)
    for run in result["runs"]:
        assert 0.0 <= run["test_accuracy"] <= 1.0
        assert 0.0 <= run["dev_accuracy"] <= 1.0
        for mix in run["layer_weights"].values():
            assert math.isfinite(mix["gamma"])
            if "softmax_w" in mix:
                assert len(mix["softmax_w"]) == 3  # char CNN + 2 LSTMs
                assert sum(mix["softmax_w"]) == pytest.approx(1.0)
    table = (tmp_path / "out" / "table.md").read_text()
    assert table == result["table"]
    for task in ("polarity", "pos_toy"):
        for name in names:
            row = re.search(
                rf"^\| {task} \| {name} \| (.+) \| (.+) \| .+ \| 1 \|$",
                table,
                re.MULTILINE,
            )
            assert row, f"no row for {task}/{name}"
            for cell in row.groups():
                mean, std = (float(x) for x in cell.split(" ± "))
                assert math.isfinite(mean) and math.isfinite(std)
    for config in run_ablations.WEIGHTING_ROWS:
        description = ablation_models.CONFIGS_BY_NAME[config].description
        assert f"| {description} |" in table
    assert result["data"]["polarity"]["train"]["sentences"] == 4
    assert result["data"]["pos_toy"]["dev"]["tokens"] == 12

    # The biLM layers are cached: a second run with one more seed reuses
    # them and the runs of seed 0 (resume), training only seed 1; its
    # table has a mean and a standard deviation over two seeds.
    cached = sorted((tmp_path / "cache").rglob("*.hdf5"))
    assert len(cached) == 6  # 2 tasks x 3 splits
    more = run_ablations.main(
        argv[: argv.index("--seeds") + 1] + ["0", "1"]
        + argv[argv.index("--seeds") + 2 :]
        + ["--configs", "no_elmo", "top_only"]
    )  # fmt: skip
    assert sorted((tmp_path / "cache").rglob("*.hdf5")) == cached
    assert len(more["runs"]) == 2 * 2 * 2
    trained = {(r["task"], r["config"], r["seed"]) for r in more["runs"]}
    assert trained == {
        (task, config, seed)
        for task in ("polarity", "pos_toy")
        for config in ("no_elmo", "top_only")
        for seed in (0, 1)
    }
    assert re.search(
        r"^\| polarity \| top_only \| .+ \| 2 \|$", more["table"], re.M
    )
    stored = json.loads((tmp_path / "out" / "results.json").read_text())
    assert len(stored["runs"]) == 2 * len(names) + 2 * 2


@pytest.mark.large
def test_cached_layers_equal_the_embedder(tmp_path):
    from keras_elmo.inference.elmo_embedder import ELMoEmbedder

    fixtures = generated_model_dir()
    options = fixtures / "options.json"
    weights = fixtures / "lm_weights.hdf5"
    sentences = [["a", "fine", "film"], ["dull"], ["so", "very", "slow", "."]]
    cache = ablation_data.FeatureCache(tmp_path, options, weights)
    cached = cache.get("toy", sentences)
    again = ablation_data.FeatureCache(tmp_path, options, weights).get(
        "toy", sentences
    )
    expected = ELMoEmbedder.from_bilm_hdf5(options, weights).embed_sentences(
        sentences
    )
    for a, b, c in zip(cached, again, expected):
        assert a.shape == c.shape == (3, len(a[0]), 32)
        assert (a == b).all()
        assert abs(a - c).max() < 1e-6


@pytest.mark.large
def test_cached_layers_mixed_equal_a_frozen_elmo_embedding(tmp_path):
    # What the task models compute from the cache is what a frozen
    # `ELMoEmbedding` computes from the raw sentences.
    import numpy as np
    import tensorflow as tf

    from keras_elmo.layers.weighted_layer_mix import WeightedLayerMix
    from keras_elmo.models.elmo_embedding import ELMoEmbedding

    fixtures = generated_model_dir()
    options = fixtures / "options.json"
    weights = fixtures / "lm_weights.hdf5"
    sentences = [["a", "fine", "film"], ["dull"], ["so", "very", "slow", "."]]
    scalars = [0.5, -1.0, 0.25]
    layer = ELMoEmbedding.from_bilm_hdf5(
        options,
        weights,
        input_type="sentences",
        initial_scalar_weights=scalars,
    )
    expected = layer(tf.constant([" ".join(s) for s in sentences]))
    cached = ablation_data.FeatureCache(tmp_path, options, weights).get(
        "toy", sentences
    )
    mix = WeightedLayerMix(num_layers=3, initial_scalar_weights=scalars)
    for i, layers in enumerate(cached):
        mixed = mix(layers[None])[0]  # (n, dim)
        np.testing.assert_allclose(
            mixed, expected[i, : len(sentences[i])], atol=1e-5
        )


def test_invalid_arguments(tmp_path):
    with pytest.raises(ValueError, match="TASK=TRAIN,DEV,TEST"):
        run_ablations.parse_limits(["pos_brown=10,10"])
    with pytest.raises(ValueError, match="integers"):
        run_ablations.parse_limits(["pos_brown=a,b,c"])
    with pytest.raises(SystemExit):
        run_ablations.parse_args(["--options", "o.json"])
    write_toy_tasks(tmp_path)
    with pytest.raises(FileNotFoundError, match="prepare_ablation_data"):
        ablation_data.load_task(tmp_path, "missing")
    (tmp_path / "polarity" / "dev.tsv").write_text("positive only-one-field\n")
    with pytest.raises(ValueError, match="dev.tsv:1"):
        ablation_data.load_task(tmp_path, "polarity")
