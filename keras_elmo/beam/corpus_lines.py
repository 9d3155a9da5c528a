"""`ReadCorpusLines`: text files on any Beam filesystem, line by line."""

import codecs
from typing import NamedTuple

import apache_beam as beam
from apache_beam.io import fileio


class CorpusLine(NamedTuple):
    """One line of a corpus file, as read: its bytes and where it was.

    Attributes:
        source: str. The file's path, as matched (`gs://...` on a cluster).
        line: int. 1-based line number in `source`.
        raw: bytes. The line without its ending (`\\n`, or `\\r\\n`), and
            without a UTF-8 byte-order mark on line 1.
    """

    source: str
    line: int
    raw: bytes


def read_lines(readable_file):
    """Yield the `CorpusLine`s of one matched file, in order.

    The line rules of `keras-elmo embed` (`ELMoEmbedder.embed_file`): only
    `\\n` ends a line, so that line numbers agree with other tools; a
    trailing `\\r` is dropped; a byte-order mark at the start is dropped.
    Compressed files (`.gz`, `.bz2`, ...) are read through Beam's
    compression, by their suffix.

    Args:
        readable_file: a `fileio.ReadableFile`.

    Example:

    ```python
    lines = files | beam.FlatMap(read_lines)
    ```
    """
    source = readable_file.metadata.path
    with readable_file.open() as handle:
        for number, raw in enumerate(iter(handle.readline, b""), start=1):
            if raw.endswith(b"\n"):
                raw = raw[:-1]
            if raw.endswith(b"\r"):
                raw = raw[:-1]
            if number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            yield CorpusLine(source, number, raw)


class ReadCorpusLines(beam.PTransform):
    """Every line of the files matching some patterns, with its position.

    A file is read by one worker (line numbers need the lines before);
    the lines are then redistributed (`Reshuffle`), so that the embedding
    of one large file still spreads over every worker.

    Args:
        patterns: str or list of str. File patterns of any Beam filesystem
            (local paths and globs, `gs://`, `s3://`, ...).

    Example:

    ```python
    lines = pipeline | ReadCorpusLines("corpus/*.txt")
    ```
    """

    def __init__(self, patterns):
        super().__init__()
        if isinstance(patterns, str):
            patterns = [patterns]
        self.patterns = list(patterns)

    def expand(self, pipeline):
        return (
            pipeline
            | "Patterns" >> beam.Create(self.patterns)
            | "Match" >> fileio.MatchAll()
            | "Open" >> fileio.ReadMatches()
            | "Lines" >> beam.FlatMap(read_lines)
            | "Spread" >> beam.Reshuffle()
        )
