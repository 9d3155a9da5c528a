"""Which tests may read `../shared/`: only the parity tests, listed here.

`../shared/fixtures/` holds the original code's files and outputs. A fresh
clone does not have it, and there those tests skip; every other test must
run on a fresh clone, from the generated fixtures
(`tests/fixtures/generated.py`, `tests/fixtures/make_tiny_elmo.py`). A test
file that starts to read `../shared/` fails this test until it is listed
below with the original output it compares with.
"""

import re

from tests.test_case import REPO_ROOT

# Test file -> the original output it compares with.
PARITY_TESTS = {
    "tests/conversion/elmoformanylangs_parity_test.py": (
        "the converted ELMoForManyLangs model vs its own outputs.hdf5"
    ),
    "tests/models/elmo_test.py": (
        "ELMo vs bilm-tf's golden lm_embeddings_*.hdf5 (stateful and "
        "stateless, 1e-6)"
    ),
    "tests/reference/numpy_elmo_test.py": (
        "the NumPy oracle vs bilm-tf's golden outputs, and the tiny-fixture "
        "writer vs the original hdf5 layout"
    ),
    "tests/presets/preset_archive_test.py": (
        "served ELMoForManyLangs and bilm-tf archives vs each original "
        "code's own outputs (1e-5 and 1e-6)"
    ),
    "tests/preprocessing/word_vocabulary_test.py": (
        "build_vocabulary vs the vocabulary bilm-tf's training test used"
    ),
}
# Where the path of ../shared is defined (read through these helpers).
HELPERS = {"tests/test_case.py", "tests/conftest.py"}
READS_SHARED = re.compile(
    r"shared_fixtures_dir|require_shared_fixtures|SHARED_FIXTURES"
    r"|\bshared_fixtures\b|[\"']shared[\"']|\.\./shared"
)


def _files_reading_shared():
    found = set()
    for path in sorted((REPO_ROOT / "tests").rglob("*.py")):
        name = str(path.relative_to(REPO_ROOT))
        if name in HELPERS or name == "tests/shared_fixtures_test.py":
            continue
        if READS_SHARED.search(path.read_text(encoding="utf-8")):
            found.add(name)
    return found


def test_only_parity_tests_read_shared_fixtures():
    found = _files_reading_shared()
    unlisted = sorted(found - set(PARITY_TESTS))
    assert not unlisted, (
        f"{unlisted} read ../shared/: build their models from "
        "tests/fixtures/generated.py instead, or, if they compare with the "
        "original code's outputs, list them in PARITY_TESTS with the reason"
    )
    stale = sorted(set(PARITY_TESTS) - found)
    assert not stale, f"{stale} no longer read ../shared/: unlist them"
