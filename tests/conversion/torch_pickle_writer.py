"""Write PyTorch state-dict files from NumPy arrays, without torch.

A test helper: it emits the same byte layout as `torch.save` (legacy and
zip serialisations), so the reader is tested on files the tests make
themselves. Globals such as `torch._utils._rebuild_tensor_v2` are written
as GLOBAL opcodes naming them; nothing is imported from torch.
"""

import collections
import io
import pickle
import struct
import zipfile

import numpy as np

from keras_elmo.conversion.torch_pickle import LEGACY_MAGIC_NUMBER
from keras_elmo.conversion.torch_pickle import LEGACY_PROTOCOL_VERSION

_STORAGE_NAMES = {
    np.dtype("float64"): "DoubleStorage",
    np.dtype("float32"): "FloatStorage",
    np.dtype("float16"): "HalfStorage",
    np.dtype("int64"): "LongStorage",
    np.dtype("int32"): "IntStorage",
    np.dtype("int16"): "ShortStorage",
    np.dtype("int8"): "CharStorage",
    np.dtype("uint8"): "ByteStorage",
    np.dtype("bool"): "BoolStorage",
}


class Global:
    """Pickled as `GLOBAL module name`, whatever it stands for."""

    def __init__(self, module, name):
        self.module = module
        self.name = name

    def __call__(self, *args):  # pickle requires reduce functions callable
        raise TypeError("a stand-in, never called")


REBUILD_TENSOR_V2 = Global("torch._utils", "_rebuild_tensor_v2")


class Tensor:
    """A tensor to write: a flat storage plus offset, shape and stride.

    Args:
        storage: `Storage` holding the elements.
        offset, shape, stride: in elements, as torch's.
    """

    def __init__(self, storage, offset, shape, stride):
        self.storage = storage
        self.offset = offset
        self.shape = tuple(shape)
        self.stride = tuple(stride)

    @classmethod
    def of(cls, array, key):
        """A contiguous tensor with its own storage `key`."""
        array = np.ascontiguousarray(array)
        strides = tuple(s // array.itemsize for s in array.strides)
        return cls(Storage(key, array.reshape(-1)), 0, array.shape, strides)

    def __reduce__(self):
        return (
            REBUILD_TENSOR_V2,
            (
                self.storage,
                self.offset,
                self.shape,
                self.stride,
                False,
                collections.OrderedDict(),
            ),
        )


class Storage:
    def __init__(self, key, flat_array, storage_type=None):
        self.key = key
        self.array = np.asarray(flat_array)
        self.storage_type = storage_type or _STORAGE_NAMES[self.array.dtype]


class _Pickler(pickle._Pickler):
    """Protocol 2 pickler writing `Global`s and storage persistent ids."""

    dispatch = pickle._Pickler.dispatch.copy()

    def __init__(self, file, legacy):
        super().__init__(file, protocol=2)
        self.legacy = legacy
        self.storages = collections.OrderedDict()

    def save_standin_global(self, obj):
        self.write(
            pickle.GLOBAL
            + obj.module.encode()
            + b"\n"
            + obj.name.encode()
            + b"\n"
        )
        self.memoize(obj)

    dispatch[Global] = save_standin_global

    def persistent_id(self, obj):
        if not isinstance(obj, Storage):
            return None
        self.storages.setdefault(obj.key, obj)
        storage_type = Global("torch", obj.storage_type)
        numel = obj.array.size
        if self.legacy:
            return ("storage", storage_type, obj.key, "cpu", numel, None)
        return ("storage", storage_type, obj.key, "cpu", numel)


def _state(tensors):
    state = collections.OrderedDict()
    for name, value in tensors.items():
        if isinstance(value, np.ndarray):
            value = Tensor.of(value, str(len(state)))
        state[name] = value
    return state


def write_legacy(path, tensors, main_object=None):
    """Write `tensors` (name -> ndarray or `Tensor`) as torch < 1.6 does.

    `main_object`, when given, is pickled instead of the state dict (to
    write files that are not state dicts).
    """
    buffer = io.BytesIO()
    for header in (
        LEGACY_MAGIC_NUMBER,
        LEGACY_PROTOCOL_VERSION,
        {
            "protocol_version": LEGACY_PROTOCOL_VERSION,
            "little_endian": True,
            "type_sizes": {"short": 2, "int": 4, "long": 4},
        },
    ):
        pickle.dump(header, buffer, protocol=2)
    pickler = _Pickler(buffer, legacy=True)
    pickler.dump(main_object if main_object is not None else _state(tensors))
    keys = list(pickler.storages)
    pickle.dump(keys, buffer, protocol=2)
    for key in keys:
        array = pickler.storages[key].array
        buffer.write(struct.pack("<q", array.size))
        buffer.write(array.astype(array.dtype.newbyteorder("<")).tobytes())
    with open(path, "wb") as f:
        f.write(buffer.getvalue())


def write_zip(path, tensors, name="archive"):
    """Write `tensors` (name -> ndarray or `Tensor`) as torch >= 1.6 does."""
    buffer = io.BytesIO()
    pickler = _Pickler(buffer, legacy=False)
    pickler.dump(_state(tensors))
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{name}/data.pkl", buffer.getvalue())
        archive.writestr(f"{name}/byteorder", "little")
        for key, storage in pickler.storages.items():
            archive.writestr(f"{name}/data/{key}", storage.array.tobytes())
        archive.writestr(f"{name}/version", "3\n")
