"""An independent NumPy forward pass of an ELMoForManyLangs model.

Written from the original's formulas (AllenNLP highway and LSTM, torch
layouts), straight from the state dicts: it shares no code with the
conversion, so agreement checks the weight transforms.
"""

import numpy as np


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def token_embeddings(token_state, config, char_ids, word_ids):
    """`[batch, tokens, projection_dim]` from unshifted dictionary ids."""
    embedder = config["token_embedder"]
    batch, tokens, chars = char_ids.shape
    table = token_state["char_emb_layer.embedding.weight"]
    x = table[char_ids.reshape(-1, chars)]  # (n, chars, char_dim)
    pooled = []
    for i, _ in enumerate(embedder["filters"]):
        weight = token_state[f"convolutions.{i}.weight"]  # (out, in, width)
        bias = token_state[f"convolutions.{i}.bias"]
        width = weight.shape[2]
        positions = chars - width + 1
        out = np.stack(
            [
                np.einsum("nki,oik->no", x[:, p : p + width], weight)
                for p in range(positions)
            ],
            axis=1,
        )  # (n, positions, out)
        pooled.append(np.maximum((out + bias).max(axis=1), 0.0))  # relu
    h = np.concatenate(pooled, axis=-1)  # (n, num_filters)
    dim = h.shape[-1]
    for k in range(embedder["n_highway"]):
        projected = (
            h @ token_state[f"highways._layers.{k}.weight"].T
            + token_state[f"highways._layers.{k}.bias"]
        )
        nonlinear = np.maximum(projected[:, :dim], 0.0)
        gate = _sigmoid(projected[:, dim:])
        h = gate * h + (1.0 - gate) * nonlinear
    features = [h]
    if embedder.get("word_dim", 0) > 0:
        words = token_state["word_emb_layer.embedding.weight"]
        features.insert(0, words[word_ids.reshape(-1)])
    h = np.concatenate(features, axis=-1)
    h = h @ token_state["projection.weight"].T + token_state["projection.bias"]
    return h.reshape(batch, tokens, -1)


def _lstm(state, prefix, inputs, length, go_forward, config):
    cell = config["encoder"]["dim"]
    wi = state[f"{prefix}.input_linearity.weight"]
    ws = state[f"{prefix}.state_linearity.weight"]
    bs = state[f"{prefix}.state_linearity.bias"]
    wp = state[f"{prefix}.state_projection.weight"]
    h = np.zeros(wp.shape[0])
    c = np.zeros(cell)
    outputs = np.zeros((inputs.shape[0], wp.shape[0]))
    steps = range(length) if go_forward else reversed(range(length))
    for t in steps:
        z = inputs[t] @ wi.T + h @ ws.T + bs
        i, f = _sigmoid(z[:cell]), _sigmoid(z[cell : 2 * cell])
        g, o = np.tanh(z[2 * cell : 3 * cell]), _sigmoid(z[3 * cell :])
        c = np.clip(
            i * g + f * c,
            -config["encoder"]["cell_clip"],
            config["encoder"]["cell_clip"],
        )
        h = np.clip(
            (o * np.tanh(c)) @ wp.T,
            -config["encoder"]["proj_clip"],
            config["encoder"]["proj_clip"],
        )
        outputs[t] = h
    return outputs


def forward(token_state, encoder_state, config, char_ids, word_ids, lengths):
    """Every layer, `[batch, layers + 1, tokens, 2 * projection_dim]`.

    Args:
        char_ids, word_ids: unshifted dictionary ids, `[batch, tokens,
            chars]` and `[batch, tokens]` (sentence markers included).
        lengths: real tokens of each row.
    """
    x = token_embeddings(token_state, config, char_ids, word_ids)
    batch, tokens, _ = x.shape
    result = np.zeros(
        (batch, config["encoder"]["n_layers"] + 1, tokens, 2 * x.shape[-1])
    )
    for row in range(batch):
        n = lengths[row]
        result[row, 0, :n] = np.concatenate([x[row, :n], x[row, :n]], -1)
        inputs = {"forward": x[row], "backward": x[row]}
        for layer in range(config["encoder"]["n_layers"]):
            outputs = {}
            for direction in ("forward", "backward"):
                y = _lstm(
                    encoder_state,
                    f"{direction}_layer_{layer}",
                    inputs[direction],
                    n,
                    direction == "forward",
                    config,
                )
                if layer > 0:
                    y[:n] = y[:n] + inputs[direction][:n]
                outputs[direction] = y
            inputs = outputs
            result[row, layer + 1, :n] = np.concatenate(
                [outputs["forward"][:n], outputs["backward"][:n]], -1
            )
    return result.astype("float32")
