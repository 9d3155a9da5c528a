"""ELMo vectors for whole corpora with Apache Beam (`RunInference`).

The same pipeline runs on the DirectRunner, Dataflow, Flink and Spark
(docs/scale.md). It needs the optional extra:
`pip install "keras-elmo[beam]"`; `import keras_elmo` never imports Beam.

Example:

```python
import apache_beam as beam
from keras_elmo.beam import EmbedCorpus

with beam.Pipeline() as pipeline:
    pipeline | EmbedCorpus("corpus/*.txt", "vectors/", "elmo_tiny_en")
```
"""

try:
    import apache_beam  # noqa: F401
except ModuleNotFoundError as error:
    if error.name != "apache_beam":
        raise
    raise ModuleNotFoundError(
        'keras_elmo.beam needs Apache Beam: pip install "keras-elmo[beam]"',
        name="apache_beam",
    ) from None

from keras_elmo.beam.corpus_lines import CorpusLine  # noqa: E402
from keras_elmo.beam.corpus_lines import ReadCorpusLines  # noqa: E402
from keras_elmo.beam.embed_corpus import EmbedCorpus  # noqa: E402
from keras_elmo.beam.embed_corpus import run_embed_corpus  # noqa: E402
from keras_elmo.beam.model_handler import ELMoModelHandler  # noqa: E402
from keras_elmo.beam.sentence_parser import BadLine  # noqa: E402
from keras_elmo.beam.sentence_parser import ParseSentences  # noqa: E402
from keras_elmo.beam.sentence_parser import Sentence  # noqa: E402

__all__ = [
    "BadLine",
    "CorpusLine",
    "ELMoModelHandler",
    "EmbedCorpus",
    "ParseSentences",
    "ReadCorpusLines",
    "Sentence",
    "run_embed_corpus",
]
