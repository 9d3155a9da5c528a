"""Write the sentences of a CoNLL file as text, one sentence a line.

The out-of-domain text of the model card: the Brown corpus test split of
the ablation data (`data/ablation/pos_brown/test.conll`, not in the
pretraining corpus), tokens joined by single spaces.

Usage:

    python -m tools.conll_to_text data/ablation/pos_brown/test.conll \
        data/ablation/brown_test_1000.txt --max-sentences 1000
"""

import argparse
import sys

from keras_elmo.utils.atomic import atomic_path


def conll_sentences(path):
    """Yields each sentence of a CoNLL file (token in column 1) as a list."""
    sentence = []
    with open(path, encoding="utf-8") as f:
        for line_number, line in enumerate(f, start=1):
            line = line.rstrip("\n")
            if not line.strip():
                if sentence:
                    yield sentence
                sentence = []
                continue
            token = line.split("\t")[0]
            if not token or any(c.isspace() for c in token):
                raise ValueError(
                    f"{path}, line {line_number}: no token in column 1, or "
                    f"a token with whitespace: {line!r}"
                )
            sentence.append(token)
    if sentence:
        yield sentence


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("conll")
    parser.add_argument("output")
    parser.add_argument("--max-sentences", type=int)
    args = parser.parse_args(argv)
    if args.max_sentences is not None and args.max_sentences < 1:
        parser.error("--max-sentences must be >= 1")
    count = 0
    with atomic_path(args.output) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            for sentence in conll_sentences(args.conll):
                if count == args.max_sentences:
                    break
                f.write(" ".join(sentence) + "\n")
                count += 1
    print(f"Wrote {count} sentences to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
