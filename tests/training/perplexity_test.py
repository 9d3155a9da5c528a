import math

import pytest

from keras_elmo.models.elmo_language_model import ELMoLanguageModel
from keras_elmo.training.data import make_lm_dataset
from keras_elmo.training.perplexity import evaluate_perplexity
from tests.test_case import TestCase
from tests.training.training_fixtures import SHARED_RUN
from tests.training.training_fixtures import TRAIN_DATA
from tests.training.training_fixtures import TRAIN_VOCABULARY
from tests.training.training_fixtures import shared_run

KEYS = ("loss", "perplexity", "forward_perplexity", "backward_perplexity")


@pytest.mark.large
class EvaluatePerplexityTest(TestCase):
    def test_matches_model_evaluate(self):
        _, result = shared_run()
        got = evaluate_perplexity(
            result["export_dir"], str(TRAIN_DATA), batch_size=4, unroll_steps=10
        )
        self.assertEqual(sorted(got), sorted(KEYS))
        # model.evaluate of (a copy of) the trained model, same batches.
        model = ELMoLanguageModel.from_config(result["model"].get_config())
        model.set_weights(result["model"].get_weights())
        model.compile()
        expected = model.evaluate(
            make_lm_dataset(
                str(TRAIN_DATA),
                str(TRAIN_VOCABULARY),
                batch_size=4,
                unroll_steps=10,
                shuffle=False,
            ),
            verbose=0,
            return_dict=True,
        )
        for key in KEYS:
            self.assertAllClose(got[key], expected[key], rtol=1e-5, msg=key)
        # The trainer's last validation saw the same batches and weights.
        for key in KEYS:
            self.assertAllClose(
                got[key], result["history"][f"val_{key}"][-1], rtol=1e-5
            )
        # The average perplexity is exp of the mean NLL of all targets.
        self.assertBetween(
            got["perplexity"],
            min(got["forward_perplexity"], got["backward_perplexity"]),
            max(got["forward_perplexity"], got["backward_perplexity"]),
        )
        self.assertTrue(all(math.isfinite(v) for v in got.values()))

    def test_batch_size_changes_only_the_tokens_left_out(self):
        # Every batch size scores the same text (up to the tokens after the
        # last whole batch): the perplexities stay close.
        _, result = shared_run()
        small = evaluate_perplexity(
            result["export_dir"], str(TRAIN_DATA), batch_size=1, unroll_steps=10
        )
        large = evaluate_perplexity(
            result["export_dir"], str(TRAIN_DATA), batch_size=4, unroll_steps=10
        )
        self.assertAllClose(small["perplexity"], large["perplexity"], rtol=0.3)

    def test_files_smaller_than_a_batch(self):
        _, result = shared_run()
        with self.assertRaisesRegex(ValueError, "fewer tokens than one batch"):
            evaluate_perplexity(
                result["export_dir"],
                str(TRAIN_DATA),
                batch_size=64,
                unroll_steps=SHARED_RUN["unroll_steps"],
            )
