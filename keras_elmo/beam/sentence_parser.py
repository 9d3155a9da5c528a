"""`ParseSentences`: corpus lines to token lists, bad lines to a dead letter."""

from typing import NamedTuple

import apache_beam as beam

from keras_elmo.preprocessing.elmo_characters import split_on_whitespace

DEAD_LETTER = "dead_letter"
# Characters of a bad line kept in its dead-letter record (enough to find
# it; the file and line say where the rest is).
TEXT_PREVIEW = 200


class Sentence(NamedTuple):
    """A tokenized corpus line: what the model handler embeds.

    Attributes:
        source: str. The file it came from.
        line: int. 1-based line number in `source`.
        tokens: tuple of str.
    """

    source: str
    line: int
    tokens: tuple

    @property
    def key(self):
        """`(source, line)`: unique in a corpus, the same on every retry."""
        return self.source, self.line


class BadLine(NamedTuple):
    """A line that is not embedded, and why.

    Attributes:
        source: str. The file it came from.
        line: int. 1-based line number in `source`.
        reason: str. One line: not valid UTF-8 (with the byte and column),
            empty after tokenization, or over the length bound.
        text: str. The line's first 200 characters (undecodable bytes as
            U+FFFD).
    """

    source: str
    line: int
    reason: str
    text: str

    def to_dict(self):
        """The JSON record of the dead-letter files."""
        return self._asdict()


def sentence_positions(sentence):
    """Token positions the biLM reads for `sentence`: words + `<S>`, `</S>`.

    The weight of a sentence in `BatchElements`' token budget, counted as
    `ELMoEmbedder`'s `max_tokens_per_batch` counts it.

    Example:

    >>> sentence_positions(Sentence("a.txt", 1, ("Hello", "world")))
    4
    """
    return len(sentence.tokens) + 2


class ParseSentences(beam.DoFn):
    """Decode and tokenize `CorpusLine`s; a bad line goes to `dead_letter`.

    The main output is `Sentence`s; the tagged output `"dead_letter"` gets
    a `BadLine` for a line that is not valid UTF-8, is empty after
    tokenization, or has more than `max_sentence_tokens` tokens. The job
    goes on either way.

    Args:
        text_tokenizer: a `keras_elmo.TextTokenizer`, or `None` to split on
            ASCII whitespace (as `keras-elmo embed`).
        max_sentence_tokens: int. The length bound, in tokens.

    Example:

    ```python
    parsed = lines | beam.ParDo(ParseSentences(None, 512)).with_outputs(
        "dead_letter", main="sentences")
    ```
    """

    def __init__(self, text_tokenizer, max_sentence_tokens):
        super().__init__()
        self.text_tokenizer = text_tokenizer
        self.max_sentence_tokens = int(max_sentence_tokens)

    def _bad(self, corpus_line, reason):
        text = corpus_line.raw.decode("utf-8", errors="replace")
        return beam.pvalue.TaggedOutput(
            DEAD_LETTER,
            BadLine(
                corpus_line.source,
                corpus_line.line,
                reason,
                text[:TEXT_PREVIEW],
            ),
        )

    def process(self, corpus_line):
        try:
            text = corpus_line.raw.decode("utf-8")
        except UnicodeDecodeError as error:
            byte = corpus_line.raw[error.start]
            yield self._bad(
                corpus_line,
                f"not valid UTF-8 (byte {byte:#04x} at column "
                f"{error.start + 1})",
            )
            return
        if self.text_tokenizer is None:
            tokens = split_on_whitespace(text)
        else:
            tokens = self.text_tokenizer.tokenize(text)
        if not tokens:
            yield self._bad(corpus_line, "empty after tokenization")
        elif len(tokens) > self.max_sentence_tokens:
            yield self._bad(
                corpus_line,
                f"{len(tokens)} tokens, over the bound of "
                f"{self.max_sentence_tokens} (max_sentence_tokens)",
            )
        else:
            yield Sentence(corpus_line.source, corpus_line.line, tuple(tokens))
