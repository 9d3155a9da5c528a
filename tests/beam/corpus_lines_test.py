import gzip

import pytest

beam = pytest.importorskip("apache_beam")

from apache_beam.testing.util import assert_that  # noqa: E402
from apache_beam.testing.util import equal_to  # noqa: E402

from keras_elmo.beam.corpus_lines import CorpusLine  # noqa: E402
from keras_elmo.beam.corpus_lines import ReadCorpusLines  # noqa: E402


def test_lines_numbers_and_endings_as_embed(tmp_path):
    # Only \n ends a line; a trailing \r and a leading BOM are dropped; a
    # lone \r stays inside its line; the last line needs no \n.
    (tmp_path / "a.txt").write_bytes(
        b"\xef\xbb\xbfone\r\ntwo\rtwo\n\n\xffbad\nlast"
    )
    with gzip.open(tmp_path / "b.txt.gz", "wb") as f:
        f.write(b"zipped\n")
    a, b = str(tmp_path / "a.txt"), str(tmp_path / "b.txt.gz")
    with beam.Pipeline() as pipeline:
        lines = pipeline | ReadCorpusLines(str(tmp_path / "*"))
        assert_that(
            lines,
            equal_to(
                [
                    CorpusLine(a, 1, b"one"),
                    CorpusLine(a, 2, b"two\rtwo"),
                    CorpusLine(a, 3, b""),
                    CorpusLine(a, 4, b"\xffbad"),
                    CorpusLine(a, 5, b"last"),
                    CorpusLine(b, 1, b"zipped"),
                ]
            ),
        )
