import argparse

import pytest

from experiments import compare_training_recipes as compare


def _args():
    return argparse.Namespace(
        data_dir="data/pretraining", options="options.json"
    )


def test_candidates_are_valid_configs():
    configs = {
        name: compare.candidate_config(name, _args(), seed=1, steps=100)
        for name in compare.CANDIDATES
    }
    assert configs["bilm_tf"].optimizer == "adagrad"
    assert configs["bilm_tf"].batch_size == 64  # as the others
    assert configs["bilm_tf"].warmup_steps == 0
    assert configs["adam_full"].warmup_steps == 5  # 5% of the steps
    assert configs["adam_full"].uses_full_softmax(37_296)
    assert not configs["adam_sampled"].uses_full_softmax(37_296)
    assert configs["adam_full_batch32"].batch_size == 32
    assert configs["adam_full_dropout0.1"].dropout == 0.1
    assert configs["adam_full_lr4e-3"].learning_rate == 4e-3
    assert all(c.seed == 1 and c.steps == 100 for c in configs.values())
    assert configs["adam_full_unroll40"].unroll_steps == 40
    assert configs["adam_full_unroll40"].batch_size == 32
    # One calibration per candidate, named with its compute shape.
    keys = {
        name: compare.calibration_key(name, config, 37_296)
        for name, config in configs.items()
    }
    assert keys["adam_full"] == "adam_full_batch64x20_full"
    assert keys["adam_sampled"] == "adam_sampled_batch64x20_sampled8192"
    assert keys["adam_full_unroll40"] == "adam_full_unroll40_batch32x40_full"
    assert len(set(keys.values())) == len(keys)


def test_table_sorts_by_mean_and_shows_the_spread():
    def result(name, seed, ppl):
        return {
            "candidate": name,
            "seed": seed,
            "steps": 40,
            "train_cpu_seconds": 50.0,
            "forward_perplexity": ppl + 1,
            "backward_perplexity": ppl - 1,
            "perplexity": ppl,
        }

    text = compare.table(
        [
            result("bilm_tf", 0, 900.0),
            result("bilm_tf", 1, 1000.0),
            result("adam_full", 0, 500.0),
        ],
        {"Kneser-Ney trigram": {"forward": 1, "backward": 2, "perplexity": 3}},
    )
    lines = text.splitlines()
    assert lines[2].startswith("| adam_full | 1 |")
    assert lines[3].endswith("| 950.0 ± 50.0 |")
    assert lines[4] == "| Kneser-Ney trigram | | | | 1.0 | 2.0 | 3.0 |"


def test_cpu_seconds_grow():
    first = compare.cpu_seconds()
    sum(i * i for i in range(200_000))
    assert compare.cpu_seconds() > first


@pytest.mark.large
def test_parallel_calibrations_keep_each_others_entries(tmp_path):
    import multiprocessing

    path = str(tmp_path / "calibration.json")
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        pool.starmap(
            compare.add_calibration,
            [(path, f"key{i}", {"cpu_seconds_per_step": i}) for i in range(16)],
        )
    table = compare.load_calibrations(path)
    assert sorted(table) == sorted(f"key{i}" for i in range(16))
    assert table["key7"] == {"cpu_seconds_per_step": 7}
