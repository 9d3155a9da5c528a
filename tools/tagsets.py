"""Maps Brown and Penn Treebank part-of-speech tags to the universal tagset.

The target is the 12-tag universal tagset of Petrov, Das and McDonald
(2012): NOUN, VERB, ADJ, ADV, PRON, DET, ADP, NUM, CONJ, PRT, X and `.`
(punctuation).

Penn Treebank: the table is Petrov et al.'s `en-ptb.map`; a tag with
alternatives (`JJ|RB`, an annotator's doubt) maps by its first one.

Brown: the table below was written for this project from the Brown
tagset's documentation (Francis & Kucera's manual), giving each Brown
base tag the universal tag of its Penn Treebank counterpart under
`en-ptb.map`. Notable choices: subordinating conjunctions (`CS`) are ADP,
as PTB's `IN`; existential *there* (`EX`) is DET, as PTB's `EX`;
pre-quantifiers and pre-qualifiers (`ABN` all/half, `ABX` both, `ABL`
quite/rather) are DET, as PTB's `PDT`; post-determiners (`AP`
many/several/next) and ordinals (`OD`) are ADJ, as PTB's `JJ`; nominal
pronouns (`PN` everybody/nothing) and adverbial nouns (`NR`
home/today) are NOUN, as PTB's `NN`; the negator (`*`, not/n't) is ADV,
as PTB's `RB`; qualifiers (`QL` very, `QLP` enough, `WQL` how) are ADV;
interjections (`UH`) and `NIL` are X. Before the lookup a full Brown tag
is reduced to its base tag:

- `FW-...` (foreign word) maps to X whatever follows;
- the suffixes `-HL` (headline), `-TL` (title) and `-NC` (cited word)
  are removed (also in combination, e.g. `NN-TL-HL`);
- a contraction tagged with several tags joined by `+` (`PPSS+BER`
  *we're*, `MD*+HV`) takes the first: the token is one word, and its
  head is the first part;
- the negation mark `*` after a tag (`BEZ*` isn't, `DOD*` didn't) is
  removed;
- a possessive `$` (`NN$`, `NP$`) maps as the base tag, except the
  pronoun tags `PP$`, `PP$$`, `WP$` that are in the table.

These rules can differ from NLTK's `en-brown.map` on rare tags; they are
documented here so that results can be reproduced exactly.
"""

import re

UNIVERSAL_TAGS = (
    "ADJ",
    "ADP",
    "ADV",
    "CONJ",
    "DET",
    "NOUN",
    "NUM",
    "PRON",
    "PRT",
    "VERB",
    "X",
    ".",
)

BROWN_TO_UNIVERSAL = {
    # Punctuation.
    ".": ".",  # sentence closer . ; ? !
    ",": ".",
    ":": ".",
    "(": ".",
    ")": ".",
    "--": ".",
    "``": ".",
    "''": ".",
    "'": ".",
    # Determiners, pre- and post-determiners.
    "abl": "DET",  # quite, rather (pre-qualifier; PTB PDT)
    "abn": "DET",  # all, half (pre-quantifier; PTB PDT)
    "abx": "DET",  # both
    "ap": "ADJ",  # many, several, next (post-determiner; PTB JJ)
    "at": "DET",  # a, the, no
    "dt": "DET",  # this, that
    "dti": "DET",  # some, any
    "dts": "DET",  # these, those
    "dtx": "DET",  # either, neither
    "ex": "DET",  # existential there (PTB EX -> DET)
    "wdt": "DET",  # which, what
    # Verbs: be, do, have, modals, lexical verbs.
    "be": "VERB",
    "bed": "VERB",
    "bedz": "VERB",
    "beg": "VERB",
    "bem": "VERB",
    "ben": "VERB",
    "ber": "VERB",
    "bez": "VERB",
    "do": "VERB",
    "dod": "VERB",
    "doz": "VERB",
    "hv": "VERB",
    "hvd": "VERB",
    "hvg": "VERB",
    "hvn": "VERB",
    "hvz": "VERB",
    "md": "VERB",
    "vb": "VERB",
    "vbd": "VERB",
    "vbg": "VERB",
    "vbn": "VERB",
    "vbz": "VERB",
    # Conjunctions and adpositions.
    "cc": "CONJ",
    "cs": "ADP",  # if, because, that (subordinating; PTB IN)
    "in": "ADP",
    # Numbers.
    "cd": "NUM",
    "od": "ADJ",  # first, 2nd (ordinal; PTB JJ)
    # Adjectives.
    "jj": "ADJ",
    "jjr": "ADJ",
    "jjs": "ADJ",  # semantically superlative (chief, top)
    "jjt": "ADJ",
    # Nouns.
    "nn": "NOUN",
    "nns": "NOUN",
    "np": "NOUN",
    "nps": "NOUN",
    "nr": "NOUN",  # home, today, west (adverbial noun; PTB NN)
    "nrs": "NOUN",
    "pn": "NOUN",  # everybody, nothing (nominal pronoun; PTB NN)
    # Pronouns.
    "pp$": "PRON",  # my, our
    "pp$$": "PRON",  # mine, ours
    "ppl": "PRON",  # myself
    "ppls": "PRON",  # ourselves
    "ppo": "PRON",  # me, him
    "pps": "PRON",  # he, it
    "ppss": "PRON",  # I, we, they
    "wp$": "PRON",  # whose
    "wpo": "PRON",  # whom
    "wps": "PRON",  # who
    # Adverbs and qualifiers.
    "*": "ADV",  # not, n't
    "ql": "ADV",  # very, too
    "qlp": "ADV",  # enough, indeed
    "rb": "ADV",
    "rbr": "ADV",
    "rbt": "ADV",
    "rn": "ADV",  # here, then, afar (nominal adverb)
    "wql": "ADV",  # how
    "wrb": "ADV",  # when, where
    # Particles.
    "rp": "PRT",  # up, out (adverbial particle)
    "to": "PRT",  # infinitival to
    # Other.
    "fw": "X",
    "uh": "X",
    "nil": "X",
}

PTB_TO_UNIVERSAL = {
    "!": ".",
    "#": ".",
    "$": ".",
    "''": ".",
    "(": ".",
    ")": ".",
    ",": ".",
    "-LRB-": ".",
    "-RRB-": ".",
    "-LCB-": ".",
    "-RCB-": ".",
    ".": ".",
    ":": ".",
    "?": ".",
    "``": ".",
    "CC": "CONJ",
    "CD": "NUM",
    "DT": "DET",
    "EX": "DET",
    "FW": "X",
    "IN": "ADP",
    "JJ": "ADJ",
    "JJR": "ADJ",
    "JJRJR": "ADJ",
    "JJS": "ADJ",
    "LS": "X",
    "MD": "VERB",
    "NN": "NOUN",
    "NNP": "NOUN",
    "NNPS": "NOUN",
    "NNS": "NOUN",
    "NP": "NOUN",
    "PDT": "DET",
    "POS": "PRT",
    "PRP": "PRON",
    "PRP$": "PRON",
    "PRT": "PRT",
    "RB": "ADV",
    "RBR": "ADV",
    "RBS": "ADV",
    "RN": "X",
    "RP": "PRT",
    "SYM": "X",
    "TO": "PRT",
    "UH": "X",
    "VB": "VERB",
    "VBD": "VERB",
    "VBG": "VERB",
    "VBN": "VERB",
    "VBP": "VERB",
    "VBZ": "VERB",
    "VP": "VERB",
    "WDT": "DET",
    "WH": "X",
    "WP": "PRON",
    "WP$": "PRON",
    "WRB": "ADV",
}

_BROWN_SUFFIX = re.compile(r"-(hl|tl|nc)$")


def brown_base_tag(tag):
    """Reduces a full Brown tag to the base tag of the table.

    Args:
        tag: str. A Brown tag as in the corpus, e.g. `"NN-TL"`,
            `"ppss+ber"`, `"bez*"`, `"fw-in"` (case is ignored).

    Returns:
        The base tag, lowercase (`"fw"` for every foreign word).

    Example:

    >>> [brown_base_tag(t) for t in ("NN-TL-HL", "ppss+ber", "bez*")]
    ['nn', 'ppss', 'bez']
    """
    if not isinstance(tag, str) or not tag:
        raise ValueError(f"A Brown tag must be a non-empty str: {tag!r}")
    tag = tag.lower()
    if tag.startswith("fw-"):
        return "fw"
    previous = None
    while previous != tag:
        previous = tag
        tag = _BROWN_SUFFIX.sub("", tag)
    if "+" in tag:
        tag = tag.split("+", 1)[0]
    # Suffixes again: "fw-in+at-tl" already handled; "nn-tl+bez".
    tag = _BROWN_SUFFIX.sub("", tag)
    if tag != "*" and tag.endswith("*"):
        tag = tag.rstrip("*")
    if tag not in BROWN_TO_UNIVERSAL and tag.endswith("$"):
        tag = tag[:-1]
    return tag


def brown_to_universal(tag):
    """Maps a Brown corpus tag to a universal tag.

    Args:
        tag: str. A full Brown tag (see `brown_base_tag`).

    Returns:
        One of `UNIVERSAL_TAGS`.

    Raises:
        ValueError: for a tag whose base is not in the table.

    Example:

    >>> [brown_to_universal(t) for t in ("at", "np-tl", "ppss+md", "``")]
    ['DET', 'NOUN', 'PRON', '.']
    """
    base = brown_base_tag(tag)
    if base not in BROWN_TO_UNIVERSAL:
        raise ValueError(
            f"Unknown Brown tag {tag!r} (base {base!r}); add it to "
            "tools/tagsets.py:BROWN_TO_UNIVERSAL."
        )
    return BROWN_TO_UNIVERSAL[base]


def ptb_to_universal(tag):
    """Maps a Penn Treebank tag to a universal tag (`en-ptb.map`).

    Args:
        tag: str. A PTB tag such as `"NNS"`; alternatives such as
            `"JJ|RB"` map by the first.

    Returns:
        One of `UNIVERSAL_TAGS`.

    Raises:
        ValueError: for an unknown tag.

    Example:

    >>> [ptb_to_universal(t) for t in ("NNS", "PRP$", "JJ|RB", "``")]
    ['NOUN', 'PRON', 'ADJ', '.']
    """
    if not isinstance(tag, str) or not tag:
        raise ValueError(f"A PTB tag must be a non-empty str: {tag!r}")
    if tag not in PTB_TO_UNIVERSAL and "|" in tag:
        tag = tag.split("|", 1)[0]
    if tag not in PTB_TO_UNIVERSAL:
        raise ValueError(
            f"Unknown Penn Treebank tag {tag!r}; add it to "
            "tools/tagsets.py:PTB_TO_UNIVERSAL."
        )
    return PTB_TO_UNIVERSAL[tag]
