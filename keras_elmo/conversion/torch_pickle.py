"""Read PyTorch `state_dict` files as NumPy arrays, without PyTorch.

`torch.save(module.state_dict(), path)` writes one of two formats:

- the legacy format (torch < 1.6, the 2018 ELMoForManyLangs releases):
  five pickles in a row, then raw bytes. The pickles are a magic number,
  the protocol version (1001), a dict of system information (byte order,
  type sizes), the state dict itself, in which each tensor's storage is a
  persistent id `("storage", type, key, location, numel, view)`, and the
  list of storage keys. The raw bytes follow in the order of that list,
  each storage as a little-endian int64 element count and its elements.
- the zip format (torch >= 1.6): a zip archive `<name>/data.pkl` (the
  pickled state dict, persistent ids `("storage", type, key, location,
  numel)`), `<name>/data/<key>` (one file per storage, raw elements) and
  `<name>/byteorder`.

Tensors are rebuilt from their storage with the saved offset, size and
stride (`torch._utils._rebuild_tensor_v2`), so views and transposed
tensors come back as they were saved.

The unpickler is restricted: it resolves only the few globals a state
dict needs (`collections.OrderedDict`, the tensor rebuild functions and the
storage types) and refuses anything else, so a malicious file cannot run
code. Nothing here imports torch.
"""

import collections
import io
import os
import pickle
import struct
import zipfile

import numpy as np

from keras_elmo.utils.validation import check_finite

# The first pickle of a legacy torch file.
LEGACY_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL_VERSION = 1001

# torch storage class -> NumPy element type (little endian; flipped for
# big-endian files). BFloat16 has no NumPy type: its 16 bits are the high
# half of a float32, widened on load.
STORAGE_DTYPES = {
    "DoubleStorage": "<f8",
    "FloatStorage": "<f4",
    "HalfStorage": "<f2",
    "BFloat16Storage": "<u2",
    "LongStorage": "<i8",
    "IntStorage": "<i4",
    "ShortStorage": "<i2",
    "CharStorage": "<i1",
    "ByteStorage": "<u1",
    "BoolStorage": "<?",
}


class TorchPickleError(ValueError):
    """A file is not a readable torch state dict (names the file)."""


class _StorageType:
    """What a `torch.<Type>Storage` global resolves to."""

    def __init__(self, name):
        self.name = name
        self.dtype = np.dtype(STORAGE_DTYPES[name])


class _Storage:
    """A storage met in the pickle; its bytes may only come later."""

    def __init__(self, key, storage_type, numel):
        self.key = key
        self.storage_type = storage_type
        self.numel = numel
        self.array = None  # 1-D NumPy array once the bytes are read


class _PendingTensor:
    """A tensor waiting for its storage bytes (legacy files end with them).

    `offset` and `stride` count elements, as torch's do.
    """

    def __init__(self, storage, offset, size, stride):
        if not isinstance(storage, (_Storage, _StorageView)):
            raise TorchPickleError(
                f"a tensor is built from a {type(storage).__name__}, not a "
                "storage: the file is not a plain state dict."
            )
        self.storage = storage
        self.offset = int(offset)
        self.size = tuple(int(n) for n in size)
        self.stride = tuple(int(s) for s in stride)

    def storage_type_name(self):
        storage = getattr(self.storage, "root", self.storage)
        return storage.storage_type.name

    def materialize(self, source):
        array = self.storage.array
        if any(n < 0 for n in self.size):
            raise TorchPickleError(
                f"{source}: a tensor of storage {self.storage.key!r} has a "
                f"negative size {self.size}."
            )
        if len(self.stride) != len(self.size):
            raise TorchPickleError(
                f"{source}: a tensor of storage {self.storage.key!r} has "
                f"size {self.size} but stride {self.stride}."
            )
        if any(n == 0 for n in self.size):
            return np.zeros(self.size, array.dtype)
        # Bounded by the bytes present, before anything is allocated: a
        # state dict's tensor never has more elements than its storage
        # (a crafted stride-0 view of size 1e6 x 1e6 over one element
        # would otherwise allocate terabytes).
        elements = 1
        for n in self.size:
            elements *= n  # Python ints: no overflow
        if elements > array.size:
            raise TorchPickleError(
                f"{source}: a tensor of shape {self.size} (stride "
                f"{self.stride}) has {elements} elements, more than its "
                f"storage {self.storage.key!r} holds ({array.size}): the "
                "file is corrupt or crafted."
            )
        last = self.offset + sum(
            (n - 1) * s for n, s in zip(self.size, self.stride)
        )
        if self.offset < 0 or min(self.stride, default=0) < 0:
            raise TorchPickleError(
                f"{source}: a tensor of storage {self.storage.key!r} has a "
                f"negative offset or stride ({self.offset}, {self.stride})."
            )
        if last >= array.size:
            raise TorchPickleError(
                f"{source}: a tensor of shape {self.size} (offset "
                f"{self.offset}, stride {self.stride}) reads past the end of "
                f"storage {self.storage.key!r} ({array.size} elements): the "
                "file is truncated or corrupt."
            )
        itemsize = array.dtype.itemsize
        view = np.lib.stride_tricks.as_strided(
            array[self.offset :],
            shape=self.size,
            strides=tuple(s * itemsize for s in self.stride),
            writeable=False,
        )
        return np.array(view, order="C")  # a contiguous copy, owned


def _rebuild_tensor(storage, storage_offset, size, stride):
    # torch._utils._rebuild_tensor (torch 0.4 and earlier).
    return _PendingTensor(storage, storage_offset, size, stride)


def _rebuild_tensor_v2(
    storage, storage_offset, size, stride, requires_grad, backward_hooks, *_
):
    # torch._utils._rebuild_tensor_v2; requires_grad and hooks mean nothing
    # to NumPy, trailing metadata (torch >= 1.13) neither.
    return _PendingTensor(storage, storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad, backward_hooks, *_):
    # torch._utils._rebuild_parameter: an nn.Parameter is its tensor.
    return data


_ALLOWED_GLOBALS = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
}


class _StateDictUnpickler(pickle.Unpickler):
    """Unpickles a state dict; refuses every global it does not know."""

    def __init__(self, file, source, storages, allow_globals=True):
        super().__init__(file)
        self.source = source
        self.storages = storages  # key -> _Storage, shared by the pickles
        self.allow_globals = allow_globals

    def find_class(self, module, name):
        if self.allow_globals:
            if (module, name) in _ALLOWED_GLOBALS:
                return _ALLOWED_GLOBALS[(module, name)]
            if module == "torch" and name in STORAGE_DTYPES:
                return _StorageType(name)
        raise TorchPickleError(
            f"{self.source}: refusing to load the global `{module}.{name}`: "
            "only a PyTorch state_dict of tensors can be read (allowed: "
            "collections.OrderedDict, torch._utils._rebuild_tensor*, "
            "torch.<Type>Storage). The file is not a state dict or is not "
            "safe to load."
        )

    def persistent_load(self, pid):
        if not (
            isinstance(pid, tuple)
            and len(pid) in (5, 6)
            and pid[0] == "storage"
            and isinstance(pid[1], _StorageType)
        ):
            raise TorchPickleError(
                f"{self.source}: unexpected persistent id {pid!r}; expected "
                "('storage', torch.<Type>Storage, key, location, numel"
                "[, view])."
            )
        storage_type, key, numel = pid[1], str(pid[2]), int(pid[4])
        storage = self.storages.get(key)
        if storage is None:
            storage = _Storage(key, storage_type, numel)
            self.storages[key] = storage
        view = pid[5] if len(pid) == 6 else None
        if view is None:
            return storage
        # Legacy view of a larger storage: (view_key, offset, view_numel).
        # Rebuilt as its root storage seen from an offset.
        _, view_offset, view_numel = view
        return _StorageView(storage, int(view_offset), int(view_numel))


class _StorageView:
    """Legacy storage views: a slice of a root storage."""

    def __init__(self, root, offset, numel):
        self.root = root
        self.offset = offset
        self.numel = numel
        self.key = root.key

    @property
    def array(self):
        return self.root.array[self.offset : self.offset + self.numel]


def _check_state_dict(state, source):
    if not isinstance(state, dict):
        raise TorchPickleError(
            f"{source}: expected a state dict (a mapping of names to "
            f"tensors); the file holds a {type(state).__name__}."
        )
    for name, value in state.items():
        if not isinstance(value, _PendingTensor):
            raise TorchPickleError(
                f"{source}: entry {name!r} is a {type(value).__name__}, "
                "not a tensor."
            )


def _remaining_bytes(file):
    """Bytes left in a seekable file after its current position."""
    position = file.tell()
    end = file.seek(0, os.SEEK_END)
    file.seek(position)
    return end - position


def _read_legacy(file, source):
    storages = {}

    def load(allow_globals):
        try:
            return _StateDictUnpickler(
                file, source, storages, allow_globals
            ).load()
        except TorchPickleError:
            raise
        except Exception as error:  # corrupt pickle data
            raise TorchPickleError(
                f"{source}: not a readable torch file ({error})."
            ) from None

    magic = load(allow_globals=False)
    if magic != LEGACY_MAGIC_NUMBER:
        raise TorchPickleError(
            f"{source}: not a torch file (wrong magic number {magic!r})."
        )
    protocol = load(allow_globals=False)
    if protocol != LEGACY_PROTOCOL_VERSION:
        raise TorchPickleError(
            f"{source}: unsupported torch protocol version {protocol!r} "
            f"(expected {LEGACY_PROTOCOL_VERSION})."
        )
    sys_info = load(allow_globals=False)
    little_endian = (
        sys_info.get("little_endian", True)
        if isinstance(sys_info, dict)
        else True
    )
    state = load(allow_globals=True)
    _check_state_dict(state, source)
    keys = load(allow_globals=False)
    if not isinstance(keys, list):
        raise TorchPickleError(f"{source}: the storage key list is missing.")
    for key in keys:
        storage = storages.get(str(key))
        if storage is None:
            raise TorchPickleError(
                f"{source}: storage {key!r} is listed but never used."
            )
        header = file.read(8)
        if len(header) != 8:
            raise TorchPickleError(
                f"{source}: truncated before the data of storage {key!r}."
            )
        numel = struct.unpack("<q" if little_endian else ">q", header)[0]
        dtype = storage.storage_type.dtype
        if not little_endian:
            dtype = dtype.newbyteorder(">")
        # Bounded by the bytes the file still holds before reading (a
        # crafted count of 2**62 would otherwise overflow or exhaust
        # memory).
        left = _remaining_bytes(file)
        if numel < 0 or numel * dtype.itemsize > left:
            raise TorchPickleError(
                f"{source}: storage {key!r} claims {numel} elements of "
                f"{dtype.itemsize} bytes, more than the {left} bytes left "
                "in the file: it is truncated or corrupt."
            )
        data = file.read(numel * dtype.itemsize)
        if len(data) != numel * dtype.itemsize:
            raise TorchPickleError(
                f"{source}: storage {key!r} should hold {numel} elements of "
                f"{dtype.itemsize} bytes; the file is truncated."
            )
        storage.array = np.frombuffer(data, dtype)
    return state, storages


def _read_zip(path, source):
    storages = {}
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise TorchPickleError(
            f"{source}: corrupt zip archive ({error})."
        ) from None
    with archive:
        names = archive.namelist()
        pickles = [n for n in names if n.endswith("data.pkl")]
        if len(pickles) != 1 or pickles[0].count("/") != 1:
            raise TorchPickleError(
                f"{source}: a torch zip archive holds one <name>/data.pkl; "
                f"found {pickles or 'none'}."
            )
        prefix = pickles[0][: -len("data.pkl")]
        little_endian = True
        if prefix + "byteorder" in names:
            order = archive.read(prefix + "byteorder").decode().strip()
            little_endian = order == "little"
        try:
            data = archive.read(pickles[0])
            state = _StateDictUnpickler(
                io.BytesIO(data), source, storages
            ).load()
        except TorchPickleError:
            raise
        except Exception as error:
            raise TorchPickleError(
                f"{source}: {pickles[0]} is not a readable pickle ({error})."
            ) from None
        _check_state_dict(state, source)
        for key, storage in storages.items():
            member = f"{prefix}data/{key}"
            if member not in names:
                raise TorchPickleError(
                    f"{source}: storage {key!r} ({member}) is missing."
                )
            dtype = storage.storage_type.dtype
            if not little_endian:
                dtype = dtype.newbyteorder(">")
            info = archive.getinfo(member)
            if storage.numel < 0 or info.file_size > os.path.getsize(path):
                raise TorchPickleError(
                    f"{source}: {member} claims {info.file_size} bytes "
                    f"(storage {key!r}: {storage.numel} elements), more "
                    "than the file holds: it is corrupt or crafted."
                )
            raw = archive.read(member)
            if len(raw) < storage.numel * dtype.itemsize:
                raise TorchPickleError(
                    f"{source}: {member} holds {len(raw)} bytes; storage "
                    f"{key!r} needs {storage.numel * dtype.itemsize}."
                )
            storage.array = np.frombuffer(
                raw[: storage.numel * dtype.itemsize], dtype
            )
    return state, storages


def load_torch_state_dict(path):
    """Read a `torch.save`d state dict into NumPy arrays, without torch.

    Both serialisations are read: the legacy one (torch < 1.6) and the zip
    one (torch >= 1.6), recognised by content. Only a mapping of names to
    tensors is accepted; any other pickled object is refused before it is
    built, so loading an untrusted file runs no code.

    Args:
        path: str or path-like. The `.pkl` / `.pt` file.

    Returns:
        A `collections.OrderedDict` of name -> `np.ndarray`, in file order,
        each with the saved shape and dtype (BFloat16 widened to float32).

    Raises:
        FileNotFoundError: if `path` does not exist.
        TorchPickleError: (a `ValueError`) naming the file and the problem
            (not a torch file, truncated, a refused global, ...).

    Example:

    ```python
    weights = load_torch_state_dict("encoder.pkl")
    weights["forward_layer_0.input_linearity.weight"].shape  # (16384, 512)
    ```
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No such torch file: {path}")
    if zipfile.is_zipfile(path):
        state, _ = _read_zip(path, path)
    else:
        with open(path, "rb") as file:
            state, _ = _read_legacy(file, path)
    arrays = collections.OrderedDict()
    for name, tensor in state.items():
        if tensor.storage.array is None:
            raise TorchPickleError(
                f"{path}: no data for storage {tensor.storage.key!r} of "
                f"{name!r}."
            )
        array = tensor.materialize(path)
        if tensor.storage_type_name() == "BFloat16Storage":
            array = (array.astype(np.uint32) << 16).view(np.float32)
        arrays[str(name)] = check_finite(array, path, str(name))
    return arrays
