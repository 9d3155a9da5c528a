import pytest

from keras_elmo.conversion.bilm_options import options_to_config
from keras_elmo.conversion.bilm_options import validate_options
from keras_elmo.models.elmo import ELMo
from keras_elmo.models.elmo_presets import PRESETS
from keras_elmo.models.elmo_presets import preset_options
from tests.test_case import TestCase

OFFICIAL_FILTERS = [
    [1, 32],
    [2, 32],
    [3, 64],
    [4, 128],
    [5, 256],
    [6, 512],
    [7, 1024],
]


class ElmoPresetsTest(TestCase):
    def test_official_shapes(self):
        # (lstm dim, projection dim, highway layers) of the AllenNLP models.
        expected = {
            "small": (1024, 128, 1),
            "medium": (2048, 256, 1),
            "original": (4096, 512, 2),
        }
        self.assertEqual(sorted(PRESETS), sorted(expected))
        for name, (dim, projection, highway) in expected.items():
            options = validate_options(preset_options(name))
            self.assertEqual(options["lstm"]["dim"], dim)
            self.assertEqual(options["lstm"]["projection_dim"], projection)
            self.assertEqual(options["char_cnn"]["n_highway"], highway)
            self.assertEqual(options["char_cnn"]["filters"], OFFICIAL_FILTERS)
            self.assertEqual(options["char_cnn"]["embedding"]["dim"], 16)
            self.assertEqual(options["lstm"]["n_layers"], 2)
            self.assertEqual(options["lstm"]["cell_clip"], 3)
            self.assertEqual(options["lstm"]["proj_clip"], 3)
            self.assertTrue(options["lstm"]["use_skip_connections"])

    def test_small_preset_has_the_official_parameter_count(self):
        # AllenNLP lists the small model as 13.6M parameters.
        model = ELMo(**options_to_config(preset_options("small")))
        self.assertEqual(round(model.count_params() / 1e6, 1), 13.6)

    def test_returns_a_copy(self):
        options = preset_options("small")
        options["lstm"]["dim"] = 7
        options["char_cnn"]["filters"].append([8, 8])
        self.assertEqual(preset_options("small")["lstm"]["dim"], 1024)
        self.assertEqual(
            preset_options("small")["char_cnn"]["filters"], OFFICIAL_FILTERS
        )

    def test_unknown_name(self):
        with pytest.raises(ValueError, match="Unknown ELMo preset"):
            preset_options("large")
        with pytest.raises(ValueError, match="Unknown ELMo preset"):
            preset_options(None)
