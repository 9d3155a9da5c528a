"""The exact FLOP counter of the benchmarks, checked by hand."""

import sys
from pathlib import Path

from keras_elmo.conversion.bilm_options import config_to_options
from keras_elmo.presets import builtin_preset_config
from tests.test_case import TestCase


def preset_options(name):
    return config_to_options(builtin_preset_config(f"elmo_{name}_en"))


sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.common import batches  # noqa: E402
from benchmarks.common import corpus_sentences  # noqa: E402
from benchmarks.common import forward_flops_per_token  # noqa: E402
from benchmarks.common import sampled_softmax_flops_per_token  # noqa: E402
from benchmarks.common import timed_runs  # noqa: E402


class ForwardFlopsTest(TestCase):
    def test_small_preset_by_hand(self):
        flops = forward_flops_per_token(preset_options("small"))
        # Each filter (width w, n filters) over 50 - w + 1 positions, each
        # a dot product of w * 16 inputs per filter.
        filters = [(1, 32), (2, 32), (3, 64), (4, 128), (5, 256), (6, 512)]
        filters.append((7, 1024))
        conv = sum((51 - w) * 2 * w * 16 * n for w, n in filters)
        self.assertEqual(flops["char_cnn"], conv)
        self.assertEqual(flops["char_cnn"], 17_616_896)
        self.assertEqual(flops["highway"], 2 * 2 * 2048 * 2048)
        self.assertEqual(flops["cnn_projection"], 2 * 2048 * 128)
        # 2 layers x 2 directions; every layer's input is 128 wide.
        self.assertEqual(flops["lstm_input"], 4 * 2 * 128 * 4096)
        self.assertEqual(flops["lstm_recurrent"], 4 * 2 * 128 * 4096)
        self.assertEqual(flops["lstm_projection"], 4 * 2 * 1024 * 128)
        parts = [
            "char_cnn",
            "highway",
            "cnn_projection",
            "lstm_input",
            "lstm_recurrent",
            "lstm_projection",
        ]
        self.assertEqual(flops["total"], sum(flops[k] for k in parts))
        self.assertEqual(flops["total"], 44_355_584)

    def test_original_preset_totals(self):
        flops = forward_flops_per_token(preset_options("original"))
        self.assertEqual(flops["highway"], 2 * 2 * 2 * 2048 * 2048)
        self.assertEqual(flops["lstm_recurrent"], 4 * 2 * 512 * 16384)
        self.assertEqual(flops["total"], 204_263_424)

    def test_no_projection_when_dims_match(self):
        options = preset_options("small")
        options["lstm"]["projection_dim"] = options["lstm"]["dim"] = 2048
        flops = forward_flops_per_token(options)
        self.assertEqual(flops["cnn_projection"], 0)
        self.assertEqual(flops["lstm_projection"], 0)

    def test_sampled_softmax(self):
        self.assertEqual(
            sampled_softmax_flops_per_token(128, 8192), 2 * 128 * 8193
        )


class CorpusTest(TestCase):
    def test_sentences_and_bucketing(self):
        sentences = corpus_sentences(20, 30)
        self.assertGreater(len(sentences), 256)
        self.assertTrue(all(20 <= len(s) <= 30 for s in sentences))
        groups = batches(sentences[:64], 32)
        self.assertEqual([len(g) for g in groups], [32, 32])
        self.assertLessEqual(
            max(len(s) for s in groups[0]), min(len(s) for s in groups[1])
        )


def test_timed_runs_pairs_each_run_with_the_probes_around_it():
    ticks = iter([0.0, 2.0, 10.0, 13.0])  # two runs: 2 s and 3 s
    rates = iter([100.0, 200.0, 400.0])  # before, between, after
    calls = []
    seconds, around = timed_runs(
        lambda: calls.append(1), 2, lambda: next(ticks), lambda: next(rates)
    )
    assert calls == [1, 1]
    assert seconds == [2.0, 3.0]
    assert around == [150.0, 300.0]
