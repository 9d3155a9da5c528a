"""Count-based baselines for biLM perplexities: Kneser-Ney n-grams, unigram.

`KneserNeyLanguageModel` is an interpolated modified Kneser-Ney model
(Chen & Goodman, 1998, section 3; three discounts D1, D2, D3+ per order)
of order 2 (bigram) or 3 (trigram), in one direction:

- `"forward"` scores `w1 .. wn` and `</S>` of each sentence
  `<S> w1 .. wn </S>` from the tokens before them in the sentence;
- `"backward"` scores `<S>` and `w1 .. wn` from the tokens after them,

with the biLM's vocabulary (out-of-vocabulary words are `<UNK>`, which is
scored like any word), so its perplexities are per target token exactly as
`keras_elmo.training.perplexity` counts them. The history never crosses a
sentence boundary (the biLM's `"sentences"` evaluation sees the same
context).

Estimation, for an n-gram `g = h w` of order k:

    P_k(w | h) = max(c_k(h w) - D_k(c_k(h w)), 0) / c_k(h .)
                 + gamma_k(h) * P_{k-1}(w | h without its first token)
    gamma_k(h) = (D_k1 N1(h .) + D_k2 N2(h .) + D_k3+ N3+(h .)) / c_k(h .)

and `P_k(w | h) = P_{k-1}(w | ...)` when the context `h` was never seen.
`c_k` is the raw count at the highest order and the continuation count
(number of distinct words seen before the n-gram) at lower orders, except
for n-grams starting with the sentence-start marker, which have nothing
before them and keep their raw count (as SRILM does). The unigram level
interpolates with the uniform distribution over the vocabulary, so every
word gets a probability and every distribution sums to 1 over the
vocabulary. The discounts of each order come from its count-of-counts n1..n4:
`Y = n1 / (n1 + 2 n2)`, `D1 = 1 - 2Y n2/n1`, `D2 = 2 - 3Y n3/n2`,
`D3+ = 3 - 4Y n4/n3`.

Counting is vectorised with NumPy (n-grams as int64 keys): the 5M-token
pretraining corpus takes well under a minute for both directions.

Reference:
    - [Chen & Goodman, 1998](https://dash.harvard.edu/handle/1/25104739),
      "An Empirical Study of Smoothing Techniques for Language Modeling".
"""

import math

import numpy as np

from keras_elmo.preprocessing.elmo_characters import BOS_TOKEN
from keras_elmo.preprocessing.elmo_characters import EOS_TOKEN
from keras_elmo.preprocessing.word_vocabulary import UNK_TOKEN
from keras_elmo.preprocessing.word_vocabulary import iter_sentences

DIRECTIONS = ("forward", "backward")


def encode_sentences(sentences, vocabulary, direction="forward"):
    """One id stream of marked sentences, read in `direction`.

    Args:
        sentences: iterable of lists of str tokens (without markers).
        vocabulary: list of str; must hold `<S>`, `</S>` and `<UNK>`.
        direction: `"forward"` or `"backward"`.

    Returns:
        `(ids, starts, unknown)`: an int64 array of the stream
        (forward `<S> w1 .. wn </S>` per sentence; backward `</S> wn .. w1
        <S>`), a bool array marking each sentence's first position (the
        start marker, never a target), and the number of tokens mapped to
        `<UNK>`.

    Example:

    >>> ids, starts, unknown = encode_sentences([["a"]], vocabulary)
    """
    if direction not in DIRECTIONS:
        raise ValueError(
            f"`direction` must be one of {DIRECTIONS}. "
            f"Received: direction={direction!r}"
        )
    index = {token: i for i, token in enumerate(vocabulary)}
    for token in (BOS_TOKEN, EOS_TOKEN, UNK_TOKEN):
        if token not in index:
            raise ValueError(f"The vocabulary has no {token!r} entry.")
    unk = index[UNK_TOKEN]
    first, last = index[BOS_TOKEN], index[EOS_TOKEN]
    if direction == "backward":
        first, last = last, first
    ids, lengths, unknown = [], [], 0
    for sentence in sentences:
        words = [index.get(token, unk) for token in sentence]
        unknown += sum(1 for token in sentence if token not in index)
        if direction == "backward":
            words.reverse()
        ids.append(first)
        ids.extend(words)
        ids.append(last)
        lengths.append(len(words) + 2)
    ids = np.asarray(ids, np.int64)
    starts = np.zeros(len(ids), bool)
    if lengths:
        starts[np.cumsum([0] + lengths[:-1]).astype(np.int64)] = True
    return ids, starts, unknown


def reverse_stream(ids, starts):
    """The backward stream of a forward `encode_sentences` stream.

    Reversing `<S> a b </S> <S> c </S>` gives `</S> c <S> </S> b a <S>`:
    each sentence read backwards, starting with `</S>`.
    """
    ends = np.roll(starts, -1)
    if len(ends):
        ends[-1] = True
    return ids[::-1].copy(), ends[::-1].copy()


def _ngram_keys(ids, starts, order, vocab_size):
    """Keys of every n-gram of `order` inside a sentence, and its end index.

    The key of `(t_1, .., t_k)` is `sum t_j V^(k-j)`; an n-gram is inside
    a sentence when no position after its first is a sentence start.
    """
    n = len(ids)
    if n < order:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    ends = np.arange(order - 1, n)
    valid = np.ones(len(ends), bool)
    keys = np.zeros(len(ends), np.int64)
    for j in range(order):
        position = ends - (order - 1) + j
        if j > 0:
            valid &= ~starts[position]
        keys = keys * vocab_size + ids[position]
    return keys[valid], ends[valid]


def chen_goodman_discounts(counts):
    """`(D1, D2, D3+)` from the count-of-counts of `counts` (an array).

    Falls back to one absolute discount `Y = n1 / (n1 + 2 n2)` (or 0.5)
    when a count-of-count the formulas divide by is zero (tiny texts).

    Example:

    >>> chen_goodman_discounts(np.array([1, 1, 2, 3, 4]))
    """
    n1, n2, n3, n4 = (int(np.sum(counts == c)) for c in (1, 2, 3, 4))
    if n1 and n2:
        y = n1 / (n1 + 2 * n2)
    else:
        y = 0.5
    if not (n1 and n2 and n3 and n4):
        return (y, y, y)
    return (1 - 2 * y * n2 / n1, 2 - 3 * y * n3 / n2, 3 - 4 * y * n4 / n3)


class _Level:
    """One order's n-gram counts, context totals and discounts."""

    def __init__(self, keys, counts, vocab_size, discounts):
        order = np.argsort(keys)
        self.keys, self.counts = keys[order], counts[order].astype(np.float64)
        self.discounts = np.asarray(discounts, np.float64)  # D1, D2, D3+
        contexts = self.keys // vocab_size
        self.contexts, inverse = np.unique(contexts, return_inverse=True)
        size = len(self.contexts)
        self.context_totals = np.bincount(
            inverse, weights=self.counts, minlength=size
        )
        mass = np.bincount(
            inverse, weights=self._discount(self.counts), minlength=size
        )
        # gamma(h) = (D1 N1(h.) + D2 N2(h.) + D3+ N3+(h.)) / c(h.)
        self.context_gammas = mass / self.context_totals

    def _discount(self, counts):
        index = np.clip(counts.astype(np.int64), 1, 3) - 1
        return np.where(counts > 0, self.discounts[index], 0.0)

    def lookup(self, keys, table, values, default=0.0):
        position = np.searchsorted(table, keys)
        position = np.minimum(position, len(table) - 1)
        found = (
            (table[position] == keys)
            if len(table)
            else np.zeros(len(keys), bool)
        )
        return np.where(found, values[position] if len(table) else 0.0, default)

    def interpolate(self, keys, lower, vocab_size):
        """P_k for n-grams `keys` given P_{k-1} (`lower`) of their suffixes."""
        contexts = keys // vocab_size
        totals = self.lookup(contexts, self.contexts, self.context_totals)
        gammas = self.lookup(contexts, self.contexts, self.context_gammas, 1.0)
        counts = self.lookup(keys, self.keys, self.counts)
        seen = totals > 0
        safe = np.where(seen, totals, 1.0)
        discounted = np.maximum(counts - self._discount(counts), 0.0) / safe
        return np.where(seen, discounted + gammas * lower, lower)


class KneserNeyLanguageModel:
    """Interpolated modified Kneser-Ney n-gram model (see the module).

    Args:
        vocabulary: list of str. The biLM's vocabulary (must hold `<S>`,
            `</S>` and `<UNK>`); the model's distributions are over it.
        order: int. 2 (bigram) or 3 (trigram). Defaults to `3`.
        direction: `"forward"` or `"backward"`. Defaults to `"forward"`.
        discounts: optional list of `(D1, D2, D3+)` per order `1..order`,
            replacing the Chen & Goodman estimates (for tests and studies).

    Example:

    ```python
    model = KneserNeyLanguageModel(vocabulary, order=3)
    model.fit(iter_sentences("train/*.txt"))
    model.perplexity(iter_sentences("heldout.txt"))
    ```
    """

    def __init__(
        self, vocabulary, order=3, direction="forward", discounts=None
    ):
        if order not in (1, 2, 3):
            raise ValueError(f"`order` must be 1, 2 or 3. Received: {order!r}")
        if direction not in DIRECTIONS:
            raise ValueError(
                f"`direction` must be one of {DIRECTIONS}. "
                f"Received: direction={direction!r}"
            )
        if discounts is not None and len(discounts) != order:
            raise ValueError(
                f"`discounts` needs one (D1, D2, D3+) per order ({order}). "
                f"Received: {discounts!r}"
            )
        self.vocabulary = list(vocabulary)
        self.vocab_size = len(self.vocabulary)
        if self.vocab_size**order >= 2**63:
            raise ValueError("The vocabulary is too large for int64 keys.")
        self.order = order
        self.direction = direction
        self.fixed_discounts = discounts
        self.levels = None
        self.unknown_tokens = 0

    def fit(self, sentences):
        """Count the n-grams of `sentences` (lists of str tokens).

        Returns:
            `self`.
        """
        ids, starts, self.unknown_tokens = encode_sentences(
            sentences, self.vocabulary, self.direction
        )
        return self.fit_stream(ids, starts)

    def fit_stream(self, ids, starts):
        """`fit` on an encoded stream (`encode_sentences` in this direction).

        Returns:
            `self`.
        """
        if not len(ids):
            raise ValueError("No training sentence: the text is empty.")
        start_id = int(ids[0])
        v = self.vocab_size
        # Distinct n-gram types and raw counts, order by order.
        raw = {}
        for k in range(1, self.order + 1):
            keys, _ = _ngram_keys(ids, starts, k, v)
            raw[k] = np.unique(keys, return_counts=True)
        self.levels = {}
        for k in range(1, self.order + 1):
            keys, counts = raw[k]
            if k < self.order:
                # Continuation counts: distinct words before the n-gram.
                suffixes = raw[k + 1][0] % (v**k)
                types, continuation = np.unique(suffixes, return_counts=True)
                modified = np.zeros(len(keys), np.int64)
                position = np.searchsorted(keys, types)
                modified[position] = continuation
                if k > 1:
                    # Nothing precedes the start marker: raw counts.
                    first = keys // (v ** (k - 1))
                    modified = np.where(first == start_id, counts, modified)
                keep = modified > 0
                keys, counts = keys[keep], modified[keep]
            discounts = (
                self.fixed_discounts[k - 1]
                if self.fixed_discounts is not None
                else chen_goodman_discounts(counts)
            )
            if k == 1:
                self.levels[1] = self._unigram_level(keys, counts, discounts)
            else:
                self.levels[k] = _Level(keys, counts, v, discounts)
        return self

    def _unigram_level(self, keys, counts, discounts):
        """P_1 as a dense vector, interpolated with the uniform 1/V."""
        full = np.zeros(self.vocab_size, np.float64)
        full[keys] = counts
        total = full.sum()
        discounts = np.asarray(discounts, np.float64)
        index = np.clip(full.astype(np.int64), 1, 3) - 1
        discount = np.where(full > 0, discounts[index], 0.0)
        gamma = discount.sum() / total
        return (
            np.maximum(full - discount, 0.0) / total + gamma / self.vocab_size
        )

    def _check_fitted(self):
        if self.levels is None:
            raise ValueError("Call `fit` before scoring.")

    def _probabilities(self, ids, starts, positions):
        """P(ids[p] | its history in the sentence) for each p in positions."""
        v = self.vocab_size
        # Distance to the sentence start: how much history each target has.
        sentence_start = np.maximum.accumulate(
            np.where(starts, np.arange(len(ids)), 0)
        )
        history = positions - sentence_start[positions]
        probabilities = self.levels[1][ids[positions]]
        keys = ids[positions].copy()
        for k in range(2, self.order + 1):
            has = history >= k - 1
            previous = ids[np.maximum(positions - (k - 1), 0)]
            keys = previous * (v ** (k - 1)) + keys
            higher = self.levels[k].interpolate(keys, probabilities, v)
            probabilities = np.where(has, higher, probabilities)
        return probabilities

    def log_probabilities(self, sentences):
        """Natural-log probability of every target of `sentences`.

        Returns:
            float64 array: per sentence, the `n + 1` targets in the model's
            reading order.
        """
        self._check_fitted()
        ids, starts, _ = encode_sentences(
            sentences, self.vocabulary, self.direction
        )
        positions = np.flatnonzero(~starts)
        return np.log(self._probabilities(ids, starts, positions))

    def distribution(self, context):
        """P(w | context) for every word w of the vocabulary.

        Args:
            context: list of str, the tokens before the target in reading
                order, starting with the start marker (`<S>` forwards,
                `</S>` backwards) if the target is near the sentence start.

        Returns:
            float64 array of shape `(vocab_size,)`, summing to 1.
        """
        self._check_fitted()
        index = {token: i for i, token in enumerate(self.vocabulary)}
        unk = index[UNK_TOKEN]
        context_ids = [index.get(t, unk) for t in context][-(self.order - 1) :]
        if self.order == 1:
            context_ids = []
        v = self.vocab_size
        words = np.arange(v, dtype=np.int64)
        probabilities = self.levels[1].copy()
        keys = words.copy()
        for k in range(2, len(context_ids) + 2):
            keys = context_ids[-(k - 1)] * (v ** (k - 1)) + keys
            probabilities = self.levels[k].interpolate(keys, probabilities, v)
        return probabilities

    def perplexity(self, sentences):
        """`(perplexity, targets)` of `sentences` (lists of str tokens)."""
        log_probabilities = self.log_probabilities(sentences)
        if not len(log_probabilities):
            raise ValueError("No sentence to score: the text is empty.")
        return (
            math.exp(-float(np.mean(log_probabilities))),
            len(log_probabilities),
        )


def unigram_add_one_log_probabilities(vocabulary, train_stream, sentences):
    """Add-one unigram log-probabilities of the forward targets.

    The backward targets (`<S>` and the words) have the same perplexity,
    since `<S>` and `</S>` are equally frequent.

    Args:
        vocabulary: list of str.
        train_stream: `(ids, starts)` of the training text, forward
            (`encode_sentences`).
        sentences: list of lists of str tokens to score.
    """
    ids, starts = train_stream
    counts = np.bincount(ids[~starts], minlength=len(vocabulary))
    probabilities = (counts + 1.0) / (counts.sum() + len(vocabulary))
    test, test_starts, _ = encode_sentences(sentences, vocabulary)
    return np.log(probabilities[test[~test_starts]])


def _average(forward, backward):
    # exp of the mean NLL of both directions (the biLM's "perplexity").
    return math.exp(0.5 * (math.log(forward) + math.log(backward)))


def baseline_perplexities(vocabulary, train_files, eval_files, orders=(2, 3)):
    """Unigram and Kneser-Ney perplexities of `eval_files`, both directions.

    Args:
        vocabulary: list of str (the biLM's).
        train_files: str or list. Training text files or globs.
        eval_files: str or list, or a dict name -> files: the texts to
            score.
        orders: Kneser-Ney orders. Defaults to `(2, 3)`.

    Returns:
        A dict per evaluated text (the single text's dict if `eval_files`
        is not a dict): `unigram_add_one`, `kneser_ney_bigram`,
        `kneser_ney_trigram` (each `{"forward", "backward", "perplexity"}`),
        `targets` (per direction) and `unknown_tokens`.

    Example:

    >>> baseline_perplexities(vocab, "train/*.txt", "heldout.txt")
    """
    single = not isinstance(eval_files, dict)
    texts = {"text": eval_files} if single else dict(eval_files)
    # Encoded once; the backward stream is the forward one reversed.
    forward_stream = encode_sentences(iter_sentences(train_files), vocabulary)
    streams = {
        "forward": forward_stream[:2],
        "backward": reverse_stream(*forward_stream[:2]),
    }
    evaluated = {name: list(iter_sentences(f)) for name, f in texts.items()}
    results = {name: {} for name in texts}
    for name, sentences in evaluated.items():
        log_probabilities = unigram_add_one_log_probabilities(
            vocabulary, streams["forward"], sentences
        )
        ppl = math.exp(-float(np.mean(log_probabilities)))
        results[name]["unigram_add_one"] = {
            "forward": ppl,
            "backward": ppl,
            "perplexity": ppl,
        }
        results[name]["targets"] = len(log_probabilities)
        results[name]["unknown_tokens"] = encode_sentences(
            sentences, vocabulary
        )[2]
    names = {2: "kneser_ney_bigram", 3: "kneser_ney_trigram"}
    for order in orders:
        scores = {name: {} for name in texts}
        for direction in DIRECTIONS:
            model = KneserNeyLanguageModel(vocabulary, order, direction)
            model.fit_stream(*streams[direction])
            for name, sentences in evaluated.items():
                scores[name][direction] = model.perplexity(sentences)[0]
        for name in texts:
            f, b = scores[name]["forward"], scores[name]["backward"]
            results[name][names[order]] = {
                "forward": f,
                "backward": b,
                "perplexity": _average(f, b),
            }
    return results["text"] if single else results
