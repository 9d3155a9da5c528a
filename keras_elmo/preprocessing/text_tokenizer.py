"""`TextTokenizer`: raw text to word tokens, on the Python side.

ELMo reads words. A model only ever saw text tokenized one way, so the same
tokenizer must run at training time (on the corpus), at embedding time and
in front of a served model: its config is saved with the model as
`text_tokenizer.json` (`TEXT_TOKENIZER_FILE`).

Two modes: `"unicode"` (the default, any language) and `"moses"`, the
Moses-style English rules that tokenized the shipped English corpus
(`keras_elmo.preprocessing.moses_rules`).

Pure Python (`unicodedata`, `re`), never part of a served graph: the
SavedModel signatures split on whitespace only, so clients send text
already tokenized by this class.
"""

import json
import os
import unicodedata

from keras_elmo.preprocessing.moses_rules import (
    normalize_text as moses_normalize_text,
)
from keras_elmo.preprocessing.moses_rules import (
    split_sentences as moses_split_sentences,
)
from keras_elmo.preprocessing.moses_rules import tokenize as moses_tokenize
from keras_elmo.utils.atomic import atomic_path

TEXT_TOKENIZER_FILE = "text_tokenizer.json"
NORMALIZATIONS = ("NFC", "NFKC", None)
MODES = ("unicode", "moses")

# Separators that `str.split()` does not know as whitespace.
_EXTRA_SEPARATORS = {"\u200b": " "}  # zero width space
# Format characters (category Cf) kept: they change how text renders or
# reads. ZWNJ/ZWJ join or keep apart letters (Persian, Indic) and emoji;
# tag characters make up subdivision flags.
_KEPT_FORMAT = frozenset(["\u200c", "\u200d"])
_TAGS = range(0xE0020, 0xE0080)
_EMOJI_MODIFIERS = range(0x1F3FB, 0x1F400)  # skin tones
# Inside a word these stay: "well-known", "don't", "l'homme".
_WORD_JOINERS = frozenset(["-", "'", "\u2019", "\u2010", "\u2011"])
# Script=Hangul (Unicode 15): syllables, conjoining jamo and its
# extensions, compatibility jamo, halfwidth jamo, enclosed Hangul.
_HANGUL_RANGES = (
    (0x1100, 0x11FF),
    (0x302E, 0x302F),
    (0x3131, 0x318E),
    (0x3200, 0x321E),
    (0x3260, 0x327E),
    (0xA960, 0xA97C),
    (0xAC00, 0xD7A3),
    (0xD7B0, 0xD7FB),
    (0xFFA0, 0xFFDC),
)
_SENTENCE_FINAL = frozenset(".!?\u3002\uff01\uff1f\u2026")
_CLOSING = frozenset(")]}\u2019\u201d\u300d\u300f\u3009\u300b\uff09")


def is_hangul(char):
    """Whether a character has the Unicode Script property Hangul.

    Example:

    >>> is_hangul("한"), is_hangul("\u3131"), is_hangul("A")
    (True, True, False)
    """
    code = ord(char)
    return any(low <= code <= high for low, high in _HANGUL_RANGES)


def _attaches(char):
    # Continues the previous character: combining marks (and variation
    # selectors), emoji skin tones and tag characters.
    code = ord(char)
    return (
        unicodedata.category(char).startswith("M")
        or code in _EMOJI_MODIFIERS
        or code in _TAGS
    )


def _clusters(word):
    """Split a word into base character + what attaches to it (ZWJ too)."""
    clusters = []
    joined = False
    for char in word:
        if clusters and (joined or _attaches(char) or char == "\u200d"):
            clusters[-1] += char
        else:
            clusters.append(char)
        joined = char == "\u200d"
    return clusters


def _kind(cluster):
    category = unicodedata.category(cluster[0])
    if category[0] in "PS":
        return "punctuation"
    if category[0] == "L":
        return "letter"
    if category == "Nd":
        return "digit"
    return "other"


class TextTokenizer:
    """Raw text to word tokens: normalise, split whitespace and punctuation.

    The steps, in order:

    1. Unicode normalisation (`"NFC"`, `"NFKC"` or `None`). NFC composes
       decomposed Hangul jamo (`"\u1112\u1161\u11ab"`) into syllables
       (`"한"`) and never changes how text reads. NFKC also folds
       compatibility characters (fullwidth `"Ａ"` to `"A"`, `"①"` to `"1"`,
       `"㈜"` to `"(주)"`), but it rewrites Hangul compatibility jamo
       (`"ㅋ"`, U+314B) into conjoining jamo (U+110F), and `"ㅎㅏ"` into
       `"하"`: prefer NFC for Korean.
    2. Format characters are removed (the byte-order mark U+FEFF, soft
       hyphens, bidirectional marks, word joiners) except ZWJ/ZWNJ and
       emoji tags; the zero width space and control characters separate
       words.
    3. Whitespace splits words: every Unicode space (NBSP U+00A0,
       ideographic space U+3000, ...), not just ASCII.
    4. `split_punctuation`: punctuation and symbols (categories P* and S*,
       emoji included) become tokens of their own; a run of one repeated
       character stays one token (`"..."`, `"!!"`). Kept inside a word: a
       punctuation mark between two digits (`"3.14"`, `"1,000"`,
       `"3·1"`) and a hyphen or apostrophe between two letters
       (`"well-known"`, `"don't"`). Emoji keep their modifiers and ZWJ
       sequences; combining marks stay with their base.
    5. `split_hangul_boundaries`: split where Hangul letters meet letters
       of another script, the one Korean boundary visible without a
       morphological analyser (`"ELMo는"` to `"ELMo"`, `"는"`;
       `"韓國語를"` to `"韓國語"`, `"를"`). Digits do not split
       (`"2018년"`, `"3개"` stay whole).

    `mode="moses"` replaces steps 2 to 5 with the English rules that
    tokenized the shipped English corpus (`moses_rules`, after the 1B Word
    Benchmark): NFKC, curly quotes to ASCII, clitics split with their
    apostrophe (`it 's`, `don 't`), a final period kept on abbreviations
    and initials (`Mr.`, `U.S.`, `F.`), and `split_sentences` that knows
    those abbreviations. Step 1 still runs first, but the mode's NFKC
    makes every `normalization` give the same tokens.

    Korean words stay eojeol, the whitespace units. Morpheme tokens (stems
    apart from particles and endings) need a morphological analyser, e.g.
    those of KoNLPy or Kiwi: run it first and join its morphemes with
    spaces; then use `split_punctuation=False` so that its output is kept
    as it is (only normalisation and whitespace splitting apply).

    Args:
        normalization: str or `None`. `"NFC"`, `"NFKC"` or `None` (no
            normalisation). Defaults to `"NFC"`.
        split_punctuation: bool. Split punctuation and symbols off words.
            Defaults to `True`.
        split_hangul_boundaries: bool. Split between Hangul and other
            letters. Defaults to `False`.
        mode: str. `"unicode"` (steps 1 to 5) or `"moses"` (the English
            corpus rules; needs the default `split_punctuation=True` and
            `split_hangul_boundaries=False`). Defaults to `"unicode"`.

    Example:

    >>> tokenizer = TextTokenizer()
    >>> tokenizer.tokenize("\ufeffThe cat sat on the mat.")
    ['The', 'cat', 'sat', 'on', 'the', 'mat', '.']
    >>> tokenizer.tokenize("고양이가 매트에 앉았다.")
    ['고양이가', '매트에', '앉았다', '.']
    >>> TextTokenizer(mode="moses").tokenize("Mr. Smith said it's so.")
    ['Mr.', 'Smith', 'said', 'it', "'s", 'so', '.']
    """

    def __init__(
        self,
        normalization="NFC",
        split_punctuation=True,
        split_hangul_boundaries=False,
        mode="unicode",
    ):
        if normalization not in NORMALIZATIONS:
            raise ValueError(
                f"`normalization` must be one of {NORMALIZATIONS}. "
                f"Received: normalization={normalization!r}"
            )
        for name, value in (
            ("split_punctuation", split_punctuation),
            ("split_hangul_boundaries", split_hangul_boundaries),
        ):
            if not isinstance(value, bool):
                raise ValueError(
                    f"`{name}` must be a bool. Received: {name}={value!r}"
                )
        if mode not in MODES:
            raise ValueError(
                f"`mode` must be one of {MODES}. Received: mode={mode!r}"
            )
        if mode == "moses" and (
            not split_punctuation or split_hangul_boundaries
        ):
            raise ValueError(
                "mode='moses' splits with its own English rules: it needs "
                "split_punctuation=True and split_hangul_boundaries=False. "
                f"Received: split_punctuation={split_punctuation!r}, "
                f"split_hangul_boundaries={split_hangul_boundaries!r}"
            )
        self.mode = mode
        self.normalization = normalization
        self.split_punctuation = split_punctuation
        self.split_hangul_boundaries = split_hangul_boundaries

    def normalize(self, text):
        """Steps 1 and 2: normalised text, format characters removed.

        Example:

        >>> TextTokenizer().normalize("\ufeff\u1112\u1161\u11ab")
        '한'
        """
        text = _as_text(text)
        if self.normalization:
            text = unicodedata.normalize(self.normalization, text)
        if self.mode == "moses":
            return moses_normalize_text(text)
        chars = []
        for char in text:
            category = unicodedata.category(char)
            if char in _EXTRA_SEPARATORS or (
                category == "Cc" and not char.isspace()
            ):
                chars.append(" ")
            elif (
                category == "Cf"
                and char not in _KEPT_FORMAT
                and ord(char) not in _TAGS
            ):
                continue
            else:
                chars.append(char)
        return "".join(chars)

    def tokenize(self, text):
        """Tokens of one raw text (str, or UTF-8 bytes).

        Returns:
            A list of str tokens (empty for blank text).

        Example:

        >>> TextTokenizer().tokenize("ELMo는 좋다!")
        ['ELMo는', '좋다', '!']
        """
        if self.mode == "moses":
            return moses_tokenize(self.normalize(text))
        tokens = []
        for word in self.normalize(text).split():
            pieces = [word]
            if self.split_punctuation:
                pieces = _split_punctuation(word)
            if self.split_hangul_boundaries:
                pieces = [p for w in pieces for p in _split_hangul(w)]
            tokens.extend(pieces)
        return tokens

    def __call__(self, texts):
        """Tokenize one text (str) or a list of texts.

        Example:

        >>> TextTokenizer()(["a b.", "c"])
        [['a', 'b', '.'], ['c']]
        """
        if isinstance(texts, (str, bytes)):
            return self.tokenize(texts)
        return [self.tokenize(text) for text in texts]

    def split_sentences(self, text):
        """Tokenize a paragraph into sentences (lists of tokens).

        A sentence ends after a token made only of sentence-final
        punctuation (`.`, `!`, `?`, `。`, `…`, ...), together with the
        closing quotes or brackets right after it. There is no abbreviation
        list: `"Mr."` ends a sentence, so English corpora are better cut by
        a language-specific splitter; Korean sentences end in `다.`, `요.`
        and the like, where this rule holds. Needs `split_punctuation`.
        In `mode="moses"` the corpus's English splitter runs instead: it
        knows abbreviations and initials (`Mr.`, `U.S.`, `F.`).

        Example:

        >>> TextTokenizer().split_sentences("비가 온다. 우산을 챙겨라!")
        [['비가', '온다', '.'], ['우산을', '챙겨라', '!']]
        """
        if not self.split_punctuation:
            raise ValueError(
                "`split_sentences` needs `split_punctuation=True`: without "
                "it, final punctuation is not a token of its own."
            )
        if self.mode == "moses":
            return [
                moses_tokenize(sentence)
                for sentence in moses_split_sentences(self.normalize(text))
            ]
        sentences, current, ended = [], [], False
        for token in self.tokenize(text):
            if ended and not _closes(token, current):
                sentences.append(current)
                current, ended = [], False
            current.append(token)
            ended = ended or set(token) <= _SENTENCE_FINAL
        if current:
            sentences.append(current)
        return sentences

    def get_config(self):
        """The constructor arguments, as stored in `text_tokenizer.json`."""
        return {
            "normalization": self.normalization,
            "split_punctuation": self.split_punctuation,
            "split_hangul_boundaries": self.split_hangul_boundaries,
            "mode": self.mode,
        }

    @classmethod
    def from_config(cls, config):
        """Rebuild from `get_config()`; unknown keys are an error."""
        if not isinstance(config, dict):
            raise ValueError(
                f"A tokenizer config must be a JSON object. Received: "
                f"{config!r}"
            )
        unknown = sorted(set(config) - set(cls().get_config()))
        if unknown:
            raise ValueError(
                f"Unknown tokenizer config keys {unknown}; expected a subset "
                f"of {sorted(cls().get_config())}."
            )
        return cls(**config)

    def save(self, directory):
        """Write `directory/text_tokenizer.json` atomically; returns its path.

        Example:

        >>> TextTokenizer(normalization="NFKC").save("saved_models/my_elmo")
        """
        path = os.path.join(os.fspath(directory), TEXT_TOKENIZER_FILE)
        with atomic_path(path) as tmp:
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(
                    {"class_name": type(self).__name__, **self.get_config()},
                    f,
                    indent=2,
                    sort_keys=True,
                )
                f.write("\n")
        return path

    @classmethod
    def from_file(cls, path):
        """Read a `text_tokenizer.json` file written by `save`.

        Raises:
            FileNotFoundError, or ValueError naming the file and the field.

        Example:

        >>> TextTokenizer.from_file("saved_models/my_elmo/text_tokenizer.json")
        """
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"Tokenizer config not found: {path}")
        try:
            with open(path, encoding="utf-8") as f:
                config = json.load(f)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"{path} is not a JSON file: {error}") from None
        if not isinstance(config, dict):
            raise ValueError(f"{path}: expected a JSON object.")
        config = dict(config)
        name = config.pop("class_name", cls.__name__)
        if name != cls.__name__:
            raise ValueError(
                f"{path}: class_name is {name!r}, expected {cls.__name__!r}."
            )
        try:
            return cls.from_config(config)
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from None

    @classmethod
    def load(cls, directory):
        """The tokenizer recorded in a model directory, or `None`.

        Example:

        >>> TextTokenizer.load("saved_models/elmo_tiny_en/preset")
        TextTokenizer(normalization='NFC', split_punctuation=True, \
split_hangul_boundaries=False, mode='moses')
        """
        path = os.path.join(os.fspath(directory), TEXT_TOKENIZER_FILE)
        return cls.from_file(path) if os.path.isfile(path) else None

    def __eq__(self, other):
        return (
            type(other) is type(self)
            and other.get_config() == self.get_config()
        )

    def __repr__(self):
        arguments = ", ".join(
            f"{k}={v!r}" for k, v in self.get_config().items()
        )
        return f"{type(self).__name__}({arguments})"


def _as_text(text):
    if isinstance(text, bytes):
        try:
            return text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(
                f"Text is not valid UTF-8 ({error.reason} at byte "
                f"{error.start}): {text[:40]!r}"
            ) from None
    if not isinstance(text, str):
        raise TypeError(
            f"Text must be str or UTF-8 bytes. Received: {type(text)}"
        )
    return text


def _closes(token, sentence):
    # A closing bracket or quote right after final punctuation belongs to
    # the sentence; an ASCII quote closes only one opened in the sentence.
    if set(token) <= set("\"'"):
        return sum(t == token[0] for t in sentence) % 2 == 1
    return set(token) <= _CLOSING


def _split_punctuation(word):
    clusters = _clusters(word)
    kinds = [_kind(c) for c in clusters]
    tokens, current, in_punctuation = [], "", False
    for i, (cluster, kind) in enumerate(zip(clusters, kinds)):
        before = kinds[i - 1] if i else None
        after = kinds[i + 1] if i + 1 < len(kinds) else None
        inner = kind == "punctuation" and (
            (before == after == "digit")
            or (before == after == "letter" and cluster in _WORD_JOINERS)
        )
        if kind != "punctuation" or inner:
            if in_punctuation:
                tokens.append(current)
                current, in_punctuation = "", False
            current += cluster
        elif in_punctuation and current == cluster * (
            len(current) // len(cluster)
        ):
            current += cluster  # a run of one character: "...", "!!"
        else:
            if current:
                tokens.append(current)
            current, in_punctuation = cluster, True
    if current:
        tokens.append(current)
    return tokens


def _split_hangul(word):
    pieces, current, script = [], "", None
    for char in word:
        if unicodedata.category(char).startswith("L"):
            hangul = is_hangul(char)
            if script is not None and hangul != script:
                pieces.append(current)
                current = ""
            script = hangul
        current += char
    if current:
        pieces.append(current)
    return pieces
