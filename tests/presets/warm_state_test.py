import itertools

import numpy as np
import pytest
import tensorflow as tf

from keras_elmo.inference.elmo_embedder import ELMoEmbedder
from keras_elmo.layers.bi_lm import BiLM
from keras_elmo.models.elmo import ELMo
from keras_elmo.models.elmo_embedding import ELMoEmbedding
from keras_elmo.models.sentence_markers import remove_sentence_markers
from keras_elmo.preprocessing.elmo_characters import batch_to_char_ids
from keras_elmo.presets.warm_state import compute_warm_state
from keras_elmo.presets.warm_state import read_warm_state
from keras_elmo.presets.warm_state import text_sha256
from keras_elmo.presets.warm_state import write_warm_state
from tests.fixtures.make_tiny_elmo import write_tiny_elmo
from tests.test_case import TestCase

WARM_UP = [
    "The first sentence of the warm-up text .",
    "And a second one , a little longer than the first one .",
]
SENTENCES = [
    ["The", "cat", "sat", "."],
    ["A", "much", "longer", "sentence", "with", "more", "words", "in", "it"],
    ["Hello"],
    ["x", "y", "z", "!", "?"],
    ["The", "cat", "sat", "."],  # repeated: same vectors wherever it is
]


def _tiny_model_dir(tmp_path, **kwargs):
    directory = tmp_path / "model"
    write_tiny_elmo(directory, seed=3, use_skip_connections=True, **kwargs)
    (directory / "lm_weights.hdf5").rename(directory / "weights.hdf5")
    return directory


def _load(directory, **kwargs):
    return ELMo.from_bilm_hdf5(
        directory / "options.json", directory / "weights.hdf5", **kwargs
    )


def _layers(model, token_lists):
    """Every biLM layer of each sentence, markers removed, `[L+1, n, d]`."""
    words = remove_sentence_markers(model(batch_to_char_ids(token_lists)))
    layers = np.asarray(words["layers"])
    return [layers[i, :, : len(t)] for i, t in enumerate(token_lists)]


class WarmStateTest(TestCase):
    @pytest.fixture(autouse=True)
    def _model_dir(self, tmp_path):
        self.directory = _tiny_model_dir(tmp_path)
        self.tmp_path = tmp_path

    def warm_model(self):
        model = _load(self.directory, initial_state="warm")
        model.set_warm_state(compute_warm_state(model, WARM_UP))
        return model

    def test_warm_output_is_the_stateful_output_after_the_warm_up(self):
        # A stateful model (batch of one) that has just read the warm-up
        # text gives, for the next sentence, exactly the warm model's
        # vectors: the warm state is that carried state, frozen.
        stateful = _load(self.directory, stateful=True, max_batch_size=1)
        for sentence in WARM_UP:
            stateful(batch_to_char_ids([sentence.split()]))
        expected = _layers(stateful, SENTENCES[:1])[0]
        actual = _layers(self.warm_model(), SENTENCES[:1])[0]
        self.assertAllClose(actual, expected, atol=1e-6, rtol=0)

    def test_warm_state_differs_from_zeros(self):
        zeros = _layers(_load(self.directory), SENTENCES[:1])[0]
        warm = _layers(self.warm_model(), SENTENCES[:1])[0]
        # Layer 0 (token embeddings) is context-free; the LSTM layers move.
        self.assertAllClose(warm[0], zeros[0], atol=1e-6, rtol=0)
        self.assertGreater(np.abs(warm[1:] - zeros[1:]).max(), 1e-3)

    @pytest.mark.large
    def test_batch_order_invariance(self):
        # The same sentence in different batches, orders and batch sizes
        # gives the same vectors, with the warm state and with zeros.
        for model in (_load(self.directory), self.warm_model()):
            reference = [_layers(model, [s])[0] for s in SENTENCES]
            groupings = [
                [list(range(5))],
                [[4, 3, 2, 1, 0]],
                [[1, 0], [2, 4, 3]],
                [[2], [0, 1, 3, 4]],
            ] + [[list(p)] for p in itertools.islice(
                itertools.permutations(range(5)), 0, 120, 37
            )]  # fmt: skip
            for grouping in groupings:
                for rows in grouping:
                    batch = _layers(model, [SENTENCES[i] for i in rows])
                    for i, layers in zip(rows, batch):
                        # 1e-6 relative as well: float32 matmuls of other
                        # batch sizes round differently (a few ulp of
                        # values up to ~2.3).
                        self.assertAllClose(
                            layers, reference[i], atol=1e-6, rtol=1e-6
                        )

    def test_stateful_outputs_depend_on_the_batch_before(self):
        # What the option removes: a carried state changes the vectors.
        stateful = _load(self.directory, stateful=True, max_batch_size=8)
        first = _layers(stateful, SENTENCES[:1])[0]
        stateful(batch_to_char_ids([SENTENCES[1]]))
        again = _layers(stateful, SENTENCES[:1])[0]
        self.assertGreater(np.abs(first[1:] - again[1:]).max(), 1e-3)

    @pytest.mark.large
    def test_embedder_batch_size_invariance(self):
        write_warm_state(
            compute_warm_state(_load(self.directory), WARM_UP),
            self.directory / "warm_state.npz",
            text_sha256(WARM_UP),
        )
        results = []
        for batch_size in (1, 2, 5):
            embedder = ELMoEmbedder.from_preset(
                str(self.directory), initial_state="warm", batch_size=batch_size
            )
            results.append(embedder.embed_sentences(SENTENCES))
        for vectors in results[1:]:
            for a, b in zip(vectors, results[0]):
                # 1e-6, plus float32 rounding of XLA's per-shape kernels.
                self.assertAllClose(a, b, atol=1e-6, rtol=1e-5)
        # And equal to the model with the state set directly.
        direct = _layers(self.warm_model(), SENTENCES[:1])[0]
        self.assertAllClose(results[0][0], direct, atol=1e-6, rtol=1e-5)

    def test_elmo_embedding_from_preset_warm(self):
        write_warm_state(
            compute_warm_state(_load(self.directory), WARM_UP),
            self.directory / "warm_state.npz",
        )
        layer = ELMoEmbedding.from_preset(
            str(self.directory), initial_state="warm", use_top_only=True
        )
        ids = batch_to_char_ids(SENTENCES[:2])
        expected = _layers(self.warm_model(), SENTENCES[:2])
        top = np.asarray(layer(ids))
        self.assertAllClose(top[0, :4], expected[0][-1], atol=1e-6, rtol=0)
        self.assertEqual(layer.elmo.initial_state, "warm")

    def test_warm_state_file_round_trip_and_errors(self):
        state = compute_warm_state(_load(self.directory), WARM_UP)
        path = self.tmp_path / "warm_state.npz"
        write_warm_state(state, path, text_sha256(WARM_UP))
        loaded = read_warm_state(path)
        self.assertEqual(sorted(loaded), sorted(state))
        for name in state:
            np.testing.assert_array_equal(loaded[name], state[name])
        with pytest.raises(FileNotFoundError, match="missing.npz"):
            read_warm_state(self.tmp_path / "missing.npz")
        (self.tmp_path / "bad.npz").write_text("not an npz")
        with pytest.raises(ValueError, match="bad.npz"):
            read_warm_state(self.tmp_path / "bad.npz")
        with pytest.raises(FileNotFoundError, match="warm_state.npz"):
            ELMoEmbedder.from_preset(
                str(self.tmp_path / "model"), initial_state="warm"
            )

    def test_warm_state_saved_with_the_model(self):
        model = self.warm_model()
        path = self.tmp_path / "warm.keras"
        model.save(path)
        import keras

        reloaded = keras.saving.load_model(path)
        self.assertEqual(reloaded.initial_state, "warm")
        for a, b in zip(
            _layers(reloaded, SENTENCES[:2]), _layers(model, SENTENCES[:2])
        ):
            self.assertAllClose(a, b, atol=1e-6, rtol=0)

    @pytest.mark.large
    def test_export_serves_the_warm_state(self):
        from keras_elmo.export.saved_model import export_saved_model

        model = self.warm_model()
        base = self.tmp_path / "export"
        export_saved_model(model, str(base))
        served = tf.saved_model.load(str(base / "1"))
        outputs = served.signatures["serving_default"](
            sentences=tf.constant([" ".join(s) for s in SENTENCES[:2]])
        )
        expected = _layers(model, SENTENCES[:2])
        self.assertAllClose(
            outputs["lstm_outputs2"].numpy()[0, :4],
            expected[0][2],
            atol=1e-5,
            rtol=0,
        )


class BiLMWarmStateTest(TestCase):
    def test_invalid_arguments(self):
        with pytest.raises(ValueError, match="initial_state"):
            BiLM(8, initial_state="hot")
        with pytest.raises(ValueError, match="stateful"):
            BiLM(8, stateful=True, initial_state="warm")
        bilm = BiLM(8, projection_dim=4, num_layers=1)
        bilm.build((None, None, 4))
        with pytest.raises(ValueError, match="no warm state"):
            bilm.set_warm_state({})

    def test_set_warm_state_checks_names_and_shapes(self):
        bilm = BiLM(8, projection_dim=4, num_layers=1, initial_state="warm")
        bilm.build((None, None, 4))
        self.assertEqual(
            bilm.warm_state_names(),
            [
                "forward_lstm_0_h",
                "forward_lstm_0_c",
                "backward_lstm_0_h",
                "backward_lstm_0_c",
            ],
        )
        state = {
            name: np.full((4 if name.endswith("h") else 8,), 0.5, "f")
            for name in bilm.warm_state_names()
        }
        bilm.set_warm_state(state)
        self.assertAllClose(
            bilm.get_warm_state()["backward_lstm_0_c"], [0.5] * 8
        )
        with pytest.raises(ValueError, match="missing"):
            bilm.set_warm_state({"forward_lstm_0_h": state["forward_lstm_0_h"]})
        with pytest.raises(ValueError, match=r"shape \(4,\)"):
            bilm.set_warm_state(dict(state, forward_lstm_0_h=np.zeros(3)))
        # Not trainable: task training never moves the warm state.
        self.assertEqual(len(bilm.trainable_weights), 8)
        self.assertEqual(len(bilm.non_trainable_weights), 4)
        config = bilm.get_config()
        self.assertEqual(BiLM.from_config(config).initial_state, "warm")


def test_embed_command_initial_state(tmp_path, capsys):
    import h5py

    from keras_elmo.cli.main import main

    directory = _tiny_model_dir(tmp_path)
    write_warm_state(
        compute_warm_state(_load(directory), WARM_UP),
        directory / "warm_state.npz",
    )
    text = tmp_path / "in.txt"
    text.write_text("The cat sat .\nHello\n")
    out = tmp_path / "out.hdf5"
    argv = ["embed", str(text), str(out), "--model", str(directory)]
    assert main(argv + ["--initial-state", "warm", "--no-progress"]) == 0
    model = _load(directory, initial_state="warm")
    model.set_warm_state(read_warm_state(directory / "warm_state.npz"))
    with h5py.File(out, "r") as f:
        np.testing.assert_allclose(
            f["0"][()], _layers(model, [SENTENCES[0]])[0], atol=1e-6, rtol=1e-5
        )
    options = ["--options", str(directory / "options.json")]
    options += ["--weights", str(directory / "weights.hdf5")]
    code = main(
        ["embed", str(text), str(out), *options, "--initial-state", "warm"]
    )
    assert code != 0
    assert "--initial-state warm needs --model" in capsys.readouterr().err
