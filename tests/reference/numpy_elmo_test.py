"""Tests of the NumPy oracle and the tiny fixture writer.

The oracle is pinned to the golden outputs of the original bilm-tf code
(`../shared/fixtures/bilm_tf`), following that fixture's README.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from keras_elmo.preprocessing.elmo_characters import batch_to_char_ids
from tests.fixtures.make_tiny_elmo import write_tiny_elmo
from tests.reference.numpy_elmo import NumpyElmo

REPO_ROOT = Path(__file__).resolve().parents[2]
BILM_TF = REPO_ROOT.parent / "shared" / "fixtures" / "bilm_tf"
TINY_CONFIGS = {
    "default": {},
    "skip_connections": {"use_skip_connections": True},
    "tanh": {"activation": "tanh"},
    "one_highway": {"n_highway": 1},
    "three_layers": {"n_layers": 3},
}


@pytest.fixture(scope="module")
def bilm_tf():
    if not (BILM_TF / "lm_weights.hdf5").exists():
        pytest.skip(f"shared bilm-tf fixtures not found at {BILM_TF}")
    return BILM_TF


def _golden_batches(fixture_dir):
    """Yield (char_ids, token lists, expected top layers) for i = 0..9."""
    sentences = json.loads(
        (fixture_dir / "lm_embeddings_sentences.json").read_text()
    )
    files = [
        h5py.File(fixture_dir / f"lm_embeddings_{k}.hdf5", "r")
        for k in range(3)
    ]
    try:
        for i in range(10):
            tokens = [sentences[k][i].split() for k in range(3)]
            expected = []
            for k in range(3):
                both = files[k][str(i)][...]  # (2, n_tokens, 16)
                expected.append(np.concatenate([both[0], both[1]], axis=-1))
            yield batch_to_char_ids(tokens), tokens, expected
    finally:
        for f in files:
            f.close()


def _top_layer_error(oracle, char_ids, tokens, expected):
    layers = oracle(char_ids)["layers"]  # (3, n_layers + 1, T, 32)
    top = oracle.n_layers
    return max(
        np.abs(layers[k, top, 1 : len(tokens[k]) + 1] - expected[k]).max()
        for k in range(3)
    )


def test_stateful_oracle_matches_bilm_tf(bilm_tf):
    oracle = NumpyElmo(
        bilm_tf / "options.json", bilm_tf / "lm_weights.hdf5", stateful=True
    )
    errors = [
        _top_layer_error(oracle, *batch) for batch in _golden_batches(bilm_tf)
    ]
    print(f"max abs error vs bilm-tf: {max(errors):.3g}")
    assert max(errors) <= 1e-6, errors


def test_state_matters(bilm_tf):
    oracle = NumpyElmo(bilm_tf / "options.json", bilm_tf / "lm_weights.hdf5")
    batches = list(_golden_batches(bilm_tf))
    # Batch 0 starts from zero state in the original too.
    assert _top_layer_error(oracle, *batches[0]) <= 1e-6
    # A later batch started from zero state does not match.
    assert _top_layer_error(oracle, *batches[3]) > 1e-2


def test_reset_states(bilm_tf):
    oracle = NumpyElmo(
        bilm_tf / "options.json", bilm_tf / "lm_weights.hdf5", stateful=True
    )
    batches = list(_golden_batches(bilm_tf))
    oracle(batches[0][0])
    oracle(batches[1][0])
    oracle.reset_states()
    assert _top_layer_error(oracle, *batches[0]) <= 1e-6


def _random_char_ids(seed, lengths=(7, 3, 1, 5)):
    rng = np.random.default_rng(seed)
    letters = list("abcdefgXYZ.,-'") + ["é", "ß"]
    sentences = [
        ["".join(rng.choice(letters, rng.integers(1, 9))) for _ in range(n)]
        for n in lengths
    ]
    return batch_to_char_ids(sentences)


def _normalized_ranks(path):
    """{dataset name with indices replaced by '#': rank}."""
    return {
        re.sub(r"\d+", "#", name): value.ndim
        for name, value in _datasets(path).items()
    }


def _datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(
            lambda name, obj: (
                out.__setitem__(name, obj[...])
                if isinstance(obj, h5py.Dataset)
                else None
            )
        )
    return out


def test_writer_reproduces_shared_layout(bilm_tf, tmp_path):
    options = json.loads((bilm_tf / "options.json").read_text())
    cnn, lstm = options["char_cnn"], options["lstm"]
    options_path, weights_path = write_tiny_elmo(
        tmp_path,
        seed=0,
        activation=cnn["activation"],
        n_highway=cnn["n_highway"],
        n_layers=lstm["n_layers"],
        use_skip_connections=lstm["use_skip_connections"],
        filters=cnn["filters"],
        char_dim=cnn["embedding"]["dim"],
        dim=lstm["dim"],
        projection_dim=lstm["projection_dim"],
        cell_clip=lstm["cell_clip"],
        proj_clip=lstm["proj_clip"],
    )
    assert json.loads(options_path.read_text()) == options
    written = _datasets(weights_path)
    shared = _datasets(bilm_tf / "lm_weights.hdf5")
    assert sorted(written) == sorted(shared)
    for name, value in shared.items():
        assert written[name].shape == value.shape, name
        assert written[name].dtype == value.dtype, name


@pytest.mark.parametrize("config", TINY_CONFIGS.values(), ids=TINY_CONFIGS)
def test_tiny_fixture_layout(bilm_tf, tmp_path, config):
    options_path, weights_path = write_tiny_elmo(tmp_path, seed=1, **config)
    options = json.loads(options_path.read_text())
    shared_options = json.loads((bilm_tf / "options.json").read_text())
    assert options["char_cnn"].keys() == shared_options["char_cnn"].keys()
    assert options["lstm"].keys() == shared_options["lstm"].keys()
    # Same dataset kinds and ranks as the shared file.
    assert _normalized_ranks(weights_path) == _normalized_ranks(
        bilm_tf / "lm_weights.hdf5"
    )


@pytest.mark.parametrize("config", TINY_CONFIGS.values(), ids=TINY_CONFIGS)
def test_oracle_on_tiny_fixture(tmp_path, config):
    options_path, weights_path = write_tiny_elmo(tmp_path, seed=1, **config)
    options = json.loads(options_path.read_text())
    assert options["char_cnn"]["n_characters"] == 262
    assert options["char_cnn"]["max_characters_per_token"] == 50
    names = _datasets(weights_path)
    n_layers = options["lstm"]["n_layers"]
    assert sum(n.startswith("CNN/W_cnn_") for n in names) == 3
    n_highway = options["char_cnn"]["n_highway"]
    assert sum(n.endswith("W_transform") for n in names) == n_highway
    assert sum(n.endswith("W_0") for n in names) == 2 * n_layers

    char_ids = _random_char_ids(seed=2)  # (4, 9, 50)
    out = NumpyElmo(options, weights_path)(char_ids)
    lengths = np.array([9, 5, 3, 7])
    mask = np.arange(9)[None] < lengths[:, None]
    np.testing.assert_array_equal(out["mask"], mask)
    assert out["token_embeddings"].shape == (4, 9, 8)
    assert out["layers"].shape == (4, n_layers + 1, 9, 16)
    assert np.isfinite(out["layers"]).all()
    assert not out["token_embeddings"][~mask].any()
    assert not out["layers"].transpose(0, 2, 1, 3)[~mask].any()
    for j in range(n_layers + 1):  # every layer is non-trivial
        assert np.abs(out["layers"][:, j][mask]).mean() > 0.1


def test_oracle_semantics_on_tiny_fixture(tmp_path):
    options_path, weights_path = write_tiny_elmo(tmp_path, seed=3, n_layers=3)
    options = json.loads(options_path.read_text())
    char_ids = _random_char_ids(seed=4)
    base = NumpyElmo(options, weights_path)(char_ids)["layers"]

    # Weights do not depend on use_skip_connections: skips change layers
    # 2 and 3 only, by adding the layer input.
    skip_options = json.loads(json.dumps(options))
    skip_options["lstm"]["use_skip_connections"] = True
    skip = NumpyElmo(skip_options, weights_path)(char_ids)["layers"]
    np.testing.assert_array_equal(skip[:, :2], base[:, :2])
    assert np.abs(skip[:, 2:] - base[:, 2:]).max() > 0.1

    # The clips are exercised: removing either changes the outputs.
    longer = _random_char_ids(seed=5, lengths=(20, 12, 16))
    clipped = NumpyElmo(options, weights_path)(longer)["layers"]
    for key in ("cell_clip", "proj_clip"):
        unclipped = json.loads(json.dumps(options))
        unclipped["lstm"][key] = None
        layers = NumpyElmo(unclipped, weights_path)(longer)["layers"]
        assert np.abs(layers - clipped).max() > 1e-3, key

    # A sentence's outputs do not depend on the other rows of the batch.
    alone = NumpyElmo(options, weights_path)(char_ids[2:3, :3])["layers"]
    np.testing.assert_allclose(alone[0], base[2, :, :3], atol=1e-6)

    # float64 agrees with the float32 default.
    wide = NumpyElmo(options, weights_path, dtype="float64")(char_ids)
    np.testing.assert_allclose(wide["layers"], base, atol=1e-4)


def test_stateful_rows(tmp_path):
    _, weights_path = write_tiny_elmo(tmp_path, seed=5)
    oracle = NumpyElmo(
        tmp_path / "options.json", weights_path, stateful=True, max_batch_size=4
    )
    char_ids = _random_char_ids(seed=6)  # (4, 9, 50)
    oracle(char_ids[:3])
    before = [[(c.copy(), h.copy()) for c, h in d] for d in oracle.states]
    oracle(char_ids[3:])  # a batch of one replaces row 0 only
    for d in range(2):
        for layer, (c, h) in enumerate(oracle.states[d]):
            np.testing.assert_array_equal(c[1:], before[d][layer][0][1:])
            np.testing.assert_array_equal(h[1:], before[d][layer][1][1:])
            assert not np.array_equal(c[0], before[d][layer][0][0])
            assert not c[3].any() and not h[3].any()  # never used: zeros
    with pytest.raises(ValueError, match="max_batch_size"):
        oracle(_random_char_ids(seed=7, lengths=(1,) * 5))


def test_no_projections(tmp_path):
    # 16 filters == projection_dim == dim: no CNN_proj and no W_P_0.
    options_path, weights_path = write_tiny_elmo(
        tmp_path,
        seed=8,
        filters=((1, 4), (2, 4), (3, 8)),
        dim=16,
        projection_dim=16,
    )
    names = _datasets(weights_path)
    assert not any("CNN_proj" in n or "W_P_0" in n for n in names)
    out = NumpyElmo(options_path, weights_path)(_random_char_ids(seed=9))
    assert out["layers"].shape == (4, 3, 9, 32)
    assert np.isfinite(out["layers"]).all()


def test_writer_is_deterministic(tmp_path):
    _, first = write_tiny_elmo(tmp_path / "a", seed=11)
    _, second = write_tiny_elmo(tmp_path / "b", seed=11)
    _, other = write_tiny_elmo(tmp_path / "c", seed=12)
    first, second, other = map(_datasets, (first, second, other))
    for name in first:
        np.testing.assert_array_equal(first[name], second[name])
    assert not np.array_equal(first["char_embed"], other["char_embed"])


def test_writer_command_line(tmp_path):
    script = REPO_ROOT / "tests" / "fixtures" / "make_tiny_elmo.py"
    subprocess.run(
        [sys.executable, str(script), str(tmp_path / "cli"), "--seed", "0"]
        + ["--n-layers", "3", "--use-skip-connections", "--activation"]
        + ["tanh", "--filters", "1,4", "2,8", "--cell-clip", "none"],
        check=True,
        capture_output=True,
    )
    write_tiny_elmo(
        tmp_path / "api",
        seed=0,
        n_layers=3,
        use_skip_connections=True,
        activation="tanh",
        filters=((1, 4), (2, 8)),
        cell_clip=None,
    )
    for name in ("options.json",):
        assert (tmp_path / "cli" / name).read_text() == (
            tmp_path / "api" / name
        ).read_text()
    cli = _datasets(tmp_path / "cli" / "lm_weights.hdf5")
    api = _datasets(tmp_path / "api" / "lm_weights.hdf5")
    assert sorted(cli) == sorted(api)
    for name in cli:
        np.testing.assert_array_equal(cli[name], api[name])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"activation": "gelu"}, "activation"),
        ({"n_layers": 0}, "n_layers"),
        ({"filters": ()}, "filters"),
        ({"filters": ((51, 4),)}, "filters"),
        ({"projection_dim": 32}, "projection_dim <= dim"),
        ({"filters": ((1, 2),)}, "at least `projection_dim`"),
        ({"cell_clip": 0.0}, "Clips"),
    ],
)
def test_writer_invalid_args(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        write_tiny_elmo(tmp_path, seed=0, **kwargs)


def test_oracle_invalid_inputs(tmp_path):
    options_path, weights_path = write_tiny_elmo(tmp_path, seed=0)
    oracle = NumpyElmo(options_path, weights_path)
    char_ids = _random_char_ids(seed=0)
    with pytest.raises(TypeError, match="integer"):
        oracle(char_ids.astype("float32"))
    with pytest.raises(ValueError, match="shape"):
        oracle(char_ids[..., :10])
    with pytest.raises(ValueError, match="must be in"):
        oracle(char_ids + 300)
    holes = char_ids.copy()
    holes[0, 2] = 0  # an absent token before real ones
    with pytest.raises(ValueError, match="Padded"):
        oracle(holes)
    with pytest.raises(TypeError, match="options"):
        NumpyElmo(["not", "a", "dict"], weights_path)
