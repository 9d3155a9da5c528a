import json
import os

import keras
import numpy as np
import pytest

from keras_elmo.training.optimizers import learning_rate_schedule
from keras_elmo.training.optimizers import make_optimizer
from keras_elmo.training.training_config import RECIPES
from keras_elmo.training.training_config import TrainingConfig
from keras_elmo.training.training_config import check_resume
from keras_elmo.training.training_config import read_run_record
from keras_elmo.training.training_config import recipe
from keras_elmo.training.training_config import run_record
from keras_elmo.training.training_config import vocabulary_sha256

DATA = {
    "train_files": "corpus/*.txt",
    "vocabulary": "vocab.txt",
    "preset": "elmo_small_en",
    "steps": 4500,
}
TOKENS = ["<S>", "</S>", "<UNK>", "the", "a"]


def test_adam_recipe_is_the_measured_best():
    # The best candidate at 200 and 800 CPU-seconds (docs/training.md):
    # Adam 4e-3, 200 warmup steps, cosine decay to 0.1x, clip 10, no
    # dropout, batch 32 x 20, sampled (8,192 negatives) unless the
    # vocabulary is no larger.
    config = recipe("adam", **DATA)
    assert config == TrainingConfig(**DATA)  # the default recipe
    assert (config.optimizer, config.learning_rate) == ("adam", 4e-3)
    assert (config.warmup_steps, config.decay) == (200, "cosine")
    assert config.final_learning_rate_fraction == 0.1
    assert (config.global_clipnorm, config.dropout) == (10.0, 0.0)
    assert (config.batch_size, config.unroll_steps) == (32, 20)
    assert not config.uses_full_softmax(37_296)
    assert config.uses_full_softmax(8192)


def test_the_shipped_run_is_the_adam_recipe_with_its_card_overrides():
    # elmo_tiny_en: `--softmax full --learning-rate 0.002
    # --batch-size 64` (its card), to step 3,300 of a 4,500-step schedule.
    config = recipe(
        "adam", softmax="full", learning_rate=2e-3, batch_size=64, **DATA
    )
    assert config.uses_full_softmax(37_296)
    optimizer = make_optimizer(config, 4500)
    assert isinstance(optimizer, keras.optimizers.Adam)
    assert optimizer.global_clipnorm == 10.0
    # The same schedule object as the main run's script built by hand.
    expected = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0,
        decay_steps=4300,
        alpha=0.1,
        warmup_target=2e-3,
        warmup_steps=200,
    )
    schedule = learning_rate_schedule(config, 4500)
    for step in (0, 1, 100, 200, 201, 2000, 4499, 4500, 9000):
        np.testing.assert_allclose(
            float(schedule(step)), float(expected(step)), rtol=1e-6
        )
    np.testing.assert_allclose(float(expected(200)), 2e-3, rtol=1e-6)
    np.testing.assert_allclose(float(expected(4500)), 2e-4, rtol=1e-6)


def test_bilm_tf_recipe():
    config = recipe("bilm_tf", **DATA)
    assert (config.optimizer, config.learning_rate) == ("adagrad", 0.2)
    assert config.initial_accumulator_value == 1.0
    assert (config.softmax, config.num_negative_samples) == ("sampled", 8192)
    assert (config.dropout, config.batch_size) == (0.1, 128)
    assert not config.uses_full_softmax(37_296)
    optimizer = make_optimizer(config, 4500)
    assert isinstance(optimizer, keras.optimizers.Adagrad)
    assert float(optimizer.learning_rate) == pytest.approx(0.2)
    assert optimizer.initial_accumulator_value == 1.0
    assert optimizer.global_clipnorm == 10.0
    # Overrides win over the recipe.
    assert recipe("bilm_tf", learning_rate=0.1, **DATA).learning_rate == 0.1
    assert sorted(RECIPES) == ["adam", "bilm_tf"]


def test_schedules():
    config = recipe("adam", learning_rate=2e-3, **DATA)
    # Warmup capped at a tenth of a short run: it still reaches the peak.
    short = learning_rate_schedule(config, 100)
    np.testing.assert_allclose(float(short(10)), 2e-3, rtol=1e-6)
    np.testing.assert_allclose(float(short(100)), 2e-4, rtol=1e-6)
    flat = learning_rate_schedule(
        config.replace(decay="constant", warmup_steps=0), 100
    )
    assert flat == 2e-3
    warm = learning_rate_schedule(config.replace(decay="constant"), 4500)
    np.testing.assert_allclose(float(warm(100)), 1e-3, rtol=1e-6)
    np.testing.assert_allclose(float(warm(4000)), 2e-3, rtol=1e-6)
    adamw = make_optimizer(
        config.replace(optimizer="adamw", weight_decay=0.01), 10
    )
    assert isinstance(adamw, keras.optimizers.AdamW)
    assert adamw.weight_decay == 0.01
    sgd = make_optimizer(config.replace(optimizer="sgd", global_clipnorm=0), 10)
    assert isinstance(sgd, keras.optimizers.SGD) and sgd.global_clipnorm is None


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"steps": 0}, "`steps` must be a positive int.*steps=0"),
        ({"steps": -5}, "`steps` must be a positive int"),
        ({"steps": None}, "`steps` or `epochs`"),
        ({"epochs": 1.0}, "`steps` or `epochs`"),
        ({"batch_size": 0}, "`batch_size` must be a positive int"),
        ({"unroll_steps": 2.5}, "`unroll_steps` must be a positive int"),
        ({"learning_rate": 0.0}, "`learning_rate` must be > 0"),
        ({"learning_rate": float("nan")}, "`learning_rate` must be >= 0"),
        ({"dropout": 1.0}, "`dropout` must be in"),
        ({"optimizer": "rmsprop"}, "`optimizer` must be one of"),
        ({"decay": "linear"}, "`decay` must be one of"),
        ({"softmax": "hierarchical"}, "`softmax` must be one of"),
        ({"strategy": "horovod"}, "`strategy` must be one of"),
        ({"weight_decay": 0.1}, "weight_decay` needs optimizer='adamw'"),
        ({"warmup_steps": -1}, "`warmup_steps` must be >= 0"),
        ({"options": {"lstm": {}}}, "exactly one of"),
        ({"preset": ""}, "`preset` must be a preset name"),
        ({"train_files": []}, "`train_files` is empty"),
        ({"vocabulary": ["<S>"]}, "vocabulary file path"),
    ],
)
def test_invalid_fields(fields, message):
    with pytest.raises(ValueError, match=message):
        TrainingConfig(**{**DATA, **fields})


def test_dict_round_trip():
    config = recipe(
        "bilm_tf",
        **DATA,
        validation_files=["a.txt", "b.txt"],
        profile_steps=[3, 4],
    )
    values = json.loads(json.dumps(config.to_dict()))
    assert TrainingConfig.from_dict(values) == config
    assert values["train_files"] == ["corpus/*.txt"]
    assert values["recipe"] == "bilm_tf"
    with pytest.raises(ValueError, match="Unknown training config fields"):
        TrainingConfig.from_dict({**values, "learning_rte": 1.0})


def test_resume_checks(tmp_path):
    config = recipe("adam", **DATA)
    record = run_record(config, {"lstm": {"dim": 8}}, TOKENS)
    assert record["vocabulary_sha256"] == vocabulary_sha256(TOKENS)
    assert record["config"] == json.loads(json.dumps(config.to_dict()))
    path = os.path.join(tmp_path, "training_config.json")
    with open(path, "w") as f:
        json.dump(record, f)
    assert check_resume(path, record) == []  # the same run
    # More steps (a new sitting) and another learning rate are allowed; the
    # changed recipe setting is reported (the run length is not).
    changed = check_resume(
        path,
        run_record(
            config.replace(steps=9000, learning_rate=1e-3),
            {"lstm": {"dim": 8}},
            TOKENS,
        ),
    )
    assert changed == ["`learning_rate` 0.004 -> 0.001"]
    swapped = TOKENS[:3] + TOKENS[:2:-1]
    with pytest.raises(ValueError, match="the vocabulary's content"):
        check_resume(path, run_record(config, {"lstm": {"dim": 8}}, swapped))
    with pytest.raises(ValueError, match="`batch_size`"):
        check_resume(
            path,
            run_record(
                config.replace(batch_size=16), {"lstm": {"dim": 8}}, TOKENS
            ),
        )
    with pytest.raises(ValueError, match="`optimizer`"):
        check_resume(
            path,
            run_record(
                config.replace(optimizer="adagrad"),
                {"lstm": {"dim": 8}},
                TOKENS,
            ),
        )
    # Runs written before the hash: compared by size; the class name of
    # the optimizer is accepted.
    with open(path, "w") as f:
        json.dump(
            {
                "options": {"lstm": {"dim": 8}},
                "vocab_size": 5,
                "batch_size": 64,
                "unroll_steps": 20,
                "optimizer": "Adam",
            },
            f,
        )
    check_resume(
        path,
        run_record(config.replace(batch_size=64), {"lstm": {"dim": 8}}, TOKENS),
    )


@pytest.mark.parametrize(
    "text, message",
    [
        ('{\n  "options": {\n    "ch', "is not valid JSON"),
        ("[1, 2]", "must hold a JSON object"),
    ],
)
def test_a_damaged_run_record_names_the_file(tmp_path, text, message):
    """A truncated training_config.json gave "Unterminated string starting
    at: line 4 column 5", with no file named (issue 21)."""
    path = os.path.join(tmp_path, "training_config.json")
    with open(path, "w") as f:
        f.write(text)
    record = run_record(recipe("adam", **DATA), {"lstm": {}}, TOKENS)
    with pytest.raises(ValueError, match=f"training_config.json {message}"):
        check_resume(path, record)
    with pytest.raises(ValueError, match=message):
        read_run_record(path)
