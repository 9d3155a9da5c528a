"""The Parquet schema of `EmbedCorpus`'s output, and one row per sentence.

Columns (docs/scale.md, "Output schema"):

- `source`: string. The input file, as matched.
- `line`: int64. 1-based line number in `source`.
- `tokens`: list<string>. The sentence's tokens.
- `layer_0` ... `layer_L` (output `all`), or one of `top`, `average`,
  `elmo`: list<float32>. `len(tokens) * dim` values, token after token.

A vector column is flat (BigQuery has no arrays of arrays): token `t`'s
vector is `values[t * dim:(t + 1) * dim]`; `dim` is in the schema's
metadata (`keras_elmo.dim`), with the output choice (`keras_elmo.output`).
"""

import pyarrow as pa


def vector_columns(output, num_layers):
    """The vector columns: `layer_0`..`layer_{num_layers}`, or the output.

    Args:
        output: str. `"all"`, `"top"`, `"average"` or `"elmo"`.
        num_layers: int. The biLM's LSTM layers (`all` has one more: the
            token layer).

    Example:

    >>> vector_columns("all", 2)
    ['layer_0', 'layer_1', 'layer_2']
    """
    if output == "all":
        return [f"layer_{i}" for i in range(num_layers + 1)]
    return [output]


def parquet_schema(output, num_layers, dim):
    """The `pyarrow.Schema` of the output files (module docstring).

    Example:

    >>> parquet_schema("top", 2, 1024).names
    ['source', 'line', 'tokens', 'top']
    """
    fields = [
        pa.field("source", pa.string()),
        pa.field("line", pa.int64()),
        pa.field("tokens", pa.list_(pa.string())),
    ]
    fields += [
        pa.field(name, pa.list_(pa.float32()))
        for name in vector_columns(output, num_layers)
    ]
    metadata = {"keras_elmo.output": output, "keras_elmo.dim": str(dim)}
    return pa.schema(fields, metadata=metadata)


def to_row(result, columns):
    """The Parquet row (a dict) of one `RunInference` result.

    Args:
        result: a `PredictionResult` of `ELMoModelHandler`: a `Sentence`
            and its vectors.
        columns: list of str. `vector_columns(...)` of the output.

    Example:

    ```python
    rows = results | beam.Map(to_row, vector_columns("top", 2))
    ```
    """
    sentence, vectors = result.example, result.inference
    row = {
        "source": sentence.source,
        "line": sentence.line,
        "tokens": list(sentence.tokens),
    }
    if len(columns) > 1:  # "all": (layers, n, dim)
        for name, layer in zip(columns, vectors):
            row[name] = layer.reshape(-1)
    else:  # (n, dim)
        row[columns[0]] = vectors.reshape(-1)
    return row
