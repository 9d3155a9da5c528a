"""Weights of the original ELMo hdf5 format <-> `ELMo` variables.

The conversion is a table of ports, one per hdf5 dataset: the dataset
name, the Keras variables it fills, and the transform each way. Every
transform is exact (reshapes, permutations, a zero row), so loading and
saving gives back the original arrays bit for bit.
"""

import dataclasses
import os
from collections.abc import Callable

import h5py
import numpy as np

from keras_elmo.layers.bi_lm import DIRECTIONS
from keras_elmo.utils.atomic import atomic_path
from keras_elmo.utils.validation import check_finite


@dataclasses.dataclass(frozen=True)
class Port:
    """One hdf5 dataset and the variables it maps to.

    Attributes:
        key: the dataset path in the hdf5 file.
        variables: the Keras variables the dataset fills, in order.
        to_keras: array from the file -> list of arrays, one per variable.
        to_file: list of variable arrays -> the array for the file.
    """

    key: str
    variables: list
    to_keras: Callable
    to_file: Callable


def _identity_port(key, variable):
    return Port(key, [variable], lambda a: [a], lambda arrays: arrays[0])


def _tf1_to_keras_gates(units):
    # TF1 LSTMCell splits the 4 * units axis as (i, j, f, o); Keras orders
    # the gates (i, f, c, o), j being the candidate c. Swapping the middle
    # blocks is its own inverse, so one permutation serves both ways.
    blocks = [np.arange(k * units, (k + 1) * units) for k in range(4)]
    return np.concatenate([blocks[0], blocks[2], blocks[1], blocks[3]])


def _lstm_ports(model, direction_index, layer_index, lstm):
    prefix = (
        f"RNN_{direction_index}/RNN/MultiRNNCell/Cell{layer_index}/LSTMCell"
    )
    gates = _tf1_to_keras_gates(lstm.units)
    input_dim = lstm.kernel.shape[0]

    def split_w0(w0):
        # W_0 multiplies concat(input, h_prev): its first input_dim rows are
        # the input kernel, the rest the recurrent kernel.
        w0 = w0[:, gates]
        return [w0[:input_dim], w0[input_dim:]]

    def join_w0(arrays):
        return np.concatenate(arrays, axis=0)[:, gates]

    ports = [
        Port(
            f"{prefix}/W_0",
            [lstm.kernel, lstm.recurrent_kernel],
            split_w0,
            join_w0,
        ),
        # The TF1 forget bias (+1.0) is added at run time by ProjectedLSTM
        # (forget_bias=1.0), not stored: B is kept as it is, only reordered.
        Port(
            f"{prefix}/B",
            [lstm.bias],
            lambda b: [b[gates]],
            lambda arrays: arrays[0][gates],
        ),
    ]
    if lstm.projection_kernel is not None:
        ports.append(_identity_port(f"{prefix}/W_P_0", lstm.projection_kernel))
    return ports


def weight_ports(model):
    """The conversion table of an `ELMo` model.

    Args:
        model: a built `keras_elmo.ELMo`.

    Returns:
        A list of `Port`, one per dataset of the original hdf5 format.

    Example:

    >>> [port.key for port in weight_ports(model)][:2]
    ['char_embed', 'CNN/W_cnn_0']
    """
    encoder = model.char_cnn
    ports = [
        # The file has no row for the padding id 0 (ids are shifted by +1 at
        # inference): prepend a zero row when loading, drop it when saving.
        Port(
            "char_embed",
            [encoder.char_embed.embeddings],
            lambda a: [np.concatenate([np.zeros_like(a[:1]), a], axis=0)],
            lambda arrays: arrays[0][1:],
        )
    ]
    for i, convolution in enumerate(encoder.convolutions):
        # TF1 used conv2d with kernels (1, width, char_dim, n_filters);
        # Conv1D wants (width, char_dim, n_filters): squeeze axis 0.
        ports.append(
            Port(
                f"CNN/W_cnn_{i}",
                [convolution.kernel],
                lambda a: [a[0]],
                lambda arrays: arrays[0][None],
            )
        )
        ports.append(_identity_port(f"CNN/b_cnn_{i}", convolution.bias))
    for k, highway in enumerate(encoder.highways):
        for name, variable in (
            ("W_carry", highway.carry_kernel),
            ("b_carry", highway.carry_bias),
            ("W_transform", highway.transform_kernel),
            ("b_transform", highway.transform_bias),
        ):
            ports.append(_identity_port(f"CNN_high_{k}/{name}", variable))
    if encoder.projection is not None:
        ports.append(
            _identity_port("CNN_proj/W_proj", encoder.projection.kernel)
        )
        ports.append(_identity_port("CNN_proj/b_proj", encoder.projection.bias))
    for direction_index, direction in enumerate(DIRECTIONS):
        for layer_index, lstm in enumerate(model.bilm.lstms[direction]):
            ports.extend(_lstm_ports(model, direction_index, layer_index, lstm))
    return ports


def _file_shape(port):
    arrays = [np.zeros(v.shape, "float32") for v in port.variables]
    return tuple(port.to_file(arrays).shape)


def _open_hdf5(weight_file):
    weight_file = os.fspath(weight_file)
    if not os.path.isfile(weight_file):
        raise FileNotFoundError(f"ELMo weight file not found: {weight_file}")
    try:
        return h5py.File(weight_file, "r")
    except OSError as error:
        raise ValueError(
            f"ELMo weight file {weight_file} is not a readable hdf5 file "
            f"({error})."
        ) from None


# Groups of the biLM in the original layout. Other datasets (e.g. the
# `softmax/` of a training export) are not the biLM's and are ignored.
_BILM_GROUPS = ("char_embed", "CNN", "RNN_")


def _unused_bilm_datasets(hdf5_file, used_keys):
    names = []
    hdf5_file.visititems(
        lambda name, item: (
            names.append(name) if isinstance(item, h5py.Dataset) else None
        )
    )
    return sorted(
        name
        for name in names
        if name.startswith(_BILM_GROUPS) and name not in used_keys
    )


def load_bilm_weights(model, weight_file):
    """Fill an `ELMo` model from an original hdf5 weight file.

    Every dataset is checked before any variable changes, so a bad file
    leaves the model as it was. A biLM dataset that the model has no
    variable for (a file with more layers, highway layers or filters than
    the options) is an error too, never silently ignored.

    Args:
        model: a `keras_elmo.ELMo` built from the matching options.
        weight_file: str. The hdf5 file (bilm-tf / AllenNLP layout).

    Raises:
        ValueError: the file is not hdf5, a dataset is missing or has
            the wrong shape (the message names the dataset and both
            shapes), a dataset holds NaN or infinity (named), or biLM
            datasets are left unused (named).

    Example:

    >>> load_bilm_weights(model, "lm_weights.hdf5")
    """
    ports = weight_ports(model)
    with _open_hdf5(weight_file) as f:
        arrays = {}
        for port in ports:
            if port.key not in f or not isinstance(f[port.key], h5py.Dataset):
                raise ValueError(
                    f"ELMo weight file {weight_file} has no dataset "
                    f"'{port.key}', which the options require."
                )
            expected, found = _file_shape(port), f[port.key].shape
            if tuple(found) != expected:
                raise ValueError(
                    f"Dataset '{port.key}' in {weight_file} has shape "
                    f"{tuple(found)}; the options require {expected}."
                )
            arrays[port.key] = check_finite(
                f[port.key][...], weight_file, port.key
            )
        unused = _unused_bilm_datasets(f, {port.key for port in ports})
    if unused:
        # E.g. options with n_layers 1 and a 2-layer file: loading would
        # silently drop the second layer.
        shown = ", ".join(unused[:8]) + (" ..." if len(unused) > 8 else "")
        raise ValueError(
            f"ELMo weight file {weight_file} has biLM datasets that the "
            f"options do not use: {shown}. The options (n_layers, n_highway, "
            "filters) describe a smaller model than the file."
        )
    for port in ports:
        for variable, value in zip(
            port.variables, port.to_keras(arrays[port.key])
        ):
            variable.assign(value.astype(variable.dtype))


def save_bilm_weights(model, weight_file):
    """Write an `ELMo` model's weights in the original hdf5 format.

    The write is atomic: the file appears complete or not at all.

    Args:
        model: a `keras_elmo.ELMo`.
        weight_file: str. Destination hdf5 file.

    Example:

    >>> save_bilm_weights(model, "weights.hdf5")
    """
    with atomic_path(weight_file) as tmp:
        with h5py.File(tmp, "w") as f:
            for port in weight_ports(model):
                arrays = [
                    np.asarray(v.numpy(), "float32") for v in port.variables
                ]
                # No timestamps: the same weights give the same bytes.
                f.create_dataset(
                    port.key, data=port.to_file(arrays), track_times=False
                )


def expected_weight_shapes(config):
    """The dataset shapes of the hdf5 file of an `ELMo` config.

    Computed from the architecture alone, so a downloaded file can be
    checked before any model is built. Equal to the shapes of
    `weight_ports(ELMo(**config))` (tested).

    Args:
        config: dict. `ELMo` arguments (see
            `keras_elmo.conversion.options_to_config`).

    Returns:
        A dict: dataset key -> shape tuple.

    Example:

    >>> expected_weight_shapes(config)["char_embed"]
    (261, 16)
    """
    char_dim = config["character_embedding_dim"]
    projection_dim = config["projection_dim"]
    units = config["lstm_units"]
    num_filters = sum(n for _, n in config["filters"])
    # The file has no row for the padding id 0.
    shapes = {"char_embed": (config["num_characters"] - 1, char_dim)}
    for i, (width, n) in enumerate(config["filters"]):
        shapes[f"CNN/W_cnn_{i}"] = (1, width, char_dim, n)
        shapes[f"CNN/b_cnn_{i}"] = (n,)
    for k in range(config["num_highway_layers"]):
        for name in ("carry", "transform"):
            shapes[f"CNN_high_{k}/W_{name}"] = (num_filters, num_filters)
            shapes[f"CNN_high_{k}/b_{name}"] = (num_filters,)
    if num_filters != projection_dim:
        shapes["CNN_proj/W_proj"] = (num_filters, projection_dim)
        shapes["CNN_proj/b_proj"] = (projection_dim,)
    for direction_index in range(len(DIRECTIONS)):
        for layer_index in range(config["num_layers"]):
            prefix = (
                f"RNN_{direction_index}/RNN/MultiRNNCell/Cell{layer_index}"
                "/LSTMCell"
            )
            # Every LSTM input and output has `projection_dim` values
            # (projection_dim <= lstm_units); W_0 stacks both.
            shapes[f"{prefix}/W_0"] = (2 * projection_dim, 4 * units)
            shapes[f"{prefix}/B"] = (4 * units,)
            if projection_dim < units:
                shapes[f"{prefix}/W_P_0"] = (units, projection_dim)
    return shapes


def check_weight_file(weight_file, config):
    """Check that an hdf5 file holds the weights of an `ELMo` config.

    Args:
        weight_file: str or path-like. The hdf5 weights.
        config: dict. `ELMo` arguments.

    Raises:
        ValueError: the file is not hdf5, or a dataset is missing or has
            the wrong shape (naming the dataset and both shapes).

    Example:

    >>> check_weight_file("weights.hdf5", options_to_config(options))
    """
    with _open_hdf5(weight_file) as f:
        for key, expected in expected_weight_shapes(config).items():
            if key not in f or not isinstance(f[key], h5py.Dataset):
                raise ValueError(
                    f"ELMo weight file {weight_file} has no dataset "
                    f"'{key}', which the options require."
                )
            if tuple(f[key].shape) != expected:
                raise ValueError(
                    f"Dataset '{key}' in {weight_file} has shape "
                    f"{tuple(f[key].shape)}; the options require {expected}."
                )


SOFTMAX_WEIGHTS_KEY = "softmax/W"
SOFTMAX_BIAS_KEY = "softmax/b"


def has_softmax(weight_file):
    """Whether an hdf5 weight file also holds the biLM's softmax.

    Example:

    >>> has_softmax("weights.hdf5")
    False
    """
    with _open_hdf5(weight_file) as f:
        return SOFTMAX_WEIGHTS_KEY in f and SOFTMAX_BIAS_KEY in f


def softmax_rows(weight_file):
    """The number of softmax rows (the vocabulary size) of a weight file.

    Example:

    >>> softmax_rows("weights.hdf5")
    37296
    """
    with _open_hdf5(weight_file) as f:
        if SOFTMAX_WEIGHTS_KEY not in f:
            raise ValueError(
                f"{weight_file} has no dataset '{SOFTMAX_WEIGHTS_KEY}': it "
                "holds a biLM without its softmax."
            )
        return int(f[SOFTMAX_WEIGHTS_KEY].shape[0])


def load_softmax_weights(head, weight_file):
    """Fill a `SampledSoftmaxHead` from `softmax/W` and `softmax/b`.

    keras_elmo stores the shared softmax of a trained language model next
    to the biLM (other toolkits ignore these datasets).

    Args:
        head: a built `keras_elmo.layers.SampledSoftmaxHead`.
        weight_file: str. The hdf5 file.

    Raises:
        ValueError: the datasets are missing, or their shapes do not match
            the head (whose rows are the vocabulary).

    Example:

    >>> load_softmax_weights(lm.softmax, "weights.hdf5")
    """
    with _open_hdf5(weight_file) as f:
        for key in (SOFTMAX_WEIGHTS_KEY, SOFTMAX_BIAS_KEY):
            if key not in f:
                raise ValueError(
                    f"{weight_file} has no dataset '{key}': it holds a biLM "
                    "without its softmax, which a language model needs."
                )
        for key, variable in (
            (SOFTMAX_WEIGHTS_KEY, head.softmax_weights),
            (SOFTMAX_BIAS_KEY, head.softmax_bias),
        ):
            expected = tuple(variable.shape)
            if tuple(f[key].shape) != expected:
                raise ValueError(
                    f"Dataset '{key}' in {weight_file} has shape "
                    f"{tuple(f[key].shape)}, but the vocabulary and the "
                    f"biLM need {expected}: use the vocabulary the model "
                    "was trained with."
                )
        # float32 variables; a preset may ship the softmax in float16.
        weights = f[SOFTMAX_WEIGHTS_KEY][...].astype("float32")
        bias = f[SOFTMAX_BIAS_KEY][...].astype("float32")
    check_finite(weights, weight_file, SOFTMAX_WEIGHTS_KEY)
    check_finite(bias, weight_file, SOFTMAX_BIAS_KEY)
    head.softmax_weights.assign(weights)
    head.softmax_bias.assign(bias)


def save_softmax_weights(head, weight_file):
    """Add `softmax/W` and `softmax/b` of a softmax head to an hdf5 file.

    The file must exist (written by `save_bilm_weights`); write it in a
    temporary place and move it when complete, as `save_to_preset` does.

    Example:

    >>> save_softmax_weights(lm.softmax, "weights.hdf5")
    """
    with h5py.File(weight_file, "a") as f:
        for key, variable in (
            (SOFTMAX_WEIGHTS_KEY, head.softmax_weights),
            (SOFTMAX_BIAS_KEY, head.softmax_bias),
        ):
            f.create_dataset(
                key,
                data=np.asarray(variable.numpy(), "float32"),
                track_times=False,
            )
