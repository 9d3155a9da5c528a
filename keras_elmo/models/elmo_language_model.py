"""`ELMoLanguageModel`: biLM pretraining as a `keras.Model`."""

import math

import keras
from keras import ops

from keras_elmo.api_export import keras_elmo_serializable
from keras_elmo.conversion.bilm_hdf5 import save_softmax_weights
from keras_elmo.layers.philox_dropout import PhiloxDropout
from keras_elmo.layers.sampled_softmax_head import SampledSoftmaxHead
from keras_elmo.metrics.perplexity import Perplexity
from keras_elmo.models.elmo import ELMo
from keras_elmo.models.elmo import as_elmo
from keras_elmo.presets.preset_directory import write_preset
from keras_elmo.presets.preset_loader import get_preset_loader
from keras_elmo.utils.trainable import propagate_trainable

# Sparse (`tf.IndexedSlices`) gradients of at most this many elements in
# dense form are made dense before clipping and Adagrad. Keras's sparse
# update path is slow (measured on the small preset with a 100k x 128
# softmax: 5.72 s a step with sparse gradients, 5.32 s dense, 1 core), and
# the update is the same: Adagrad leaves rows with a zero gradient as they
# are. Larger softmaxes (bilm-tf's 793k x 512 would be 1.6 GB a step) stay
# sparse.
DENSE_GRADIENT_MAX_ELEMENTS = 2**24


def _densify_small(gradients, variables):
    """Gradients, with small `tf.IndexedSlices` made dense tensors."""
    import tensorflow as tf  # the TensorFlow train step only

    dense = []
    for gradient, variable in zip(gradients, variables):
        if (
            isinstance(gradient, tf.IndexedSlices)
            and math.prod(variable.shape) <= DENSE_GRADIENT_MAX_ELEMENTS
        ):
            gradient = tf.convert_to_tensor(gradient)
        dense.append(gradient)
    return dense


@keras_elmo_serializable
class ELMoLanguageModel(keras.Model):
    """Pretrains (or fine-tunes) an `ELMo` biLM with `model.fit`.

    The forward LM predicts the next token from the top forward layer, the
    backward LM the previous token from the top backward layer; both share
    one softmax (`SampledSoftmaxHead`). The loss is the mean of the forward
    and backward negative log-likelihoods per target token. Training uses
    the sampled softmax (log-uniform negatives, XLA-compilable); evaluation
    uses the full softmax, so validation perplexities are exact.

    Inputs are `{"character_ids": [B, T, 50]}` and targets
    `{"next_token_ids": [B, T], "previous_token_ids": [B, T]}` with `-1`
    where a position has no target, as made by
    `keras_elmo.training.make_lm_dataset`.

    Args:
        elmo: a `keras_elmo.ELMo`, the biLM to train (its `dropout` applies
            to each LSTM layer's input).
        vocab_size: int. Size of the target vocabulary.
        num_negative_samples: int. Sampled-softmax negatives per batch,
            capped by the vocabulary. Defaults to `8192`.
        dropout: float. Dropout on the LSTM outputs before the softmax, as
            bilm-tf (which also gives the biLM `dropout=0.1`). Defaults to
            `0.1`.
        seed: int or `None`. Seed of the negative sampler.
        sampler_dtype: `"float64"` or `"float32"`. Precision of the negative
            sampler; use `"float32"` on TPUs, which have no float64 (see
            `keras_elmo.layers.softmax_losses`). Defaults to `"float64"`.
        **kwargs: other `keras.Model` arguments (`name`, `dtype`, ...).

    Example:

    ```python
    elmo = keras_elmo.ELMo.from_preset(
        "elmo_small_en", load_weights=False, dropout=0.1)
    lm = keras_elmo.ELMoLanguageModel(elmo, vocab_size)
    lm.compile()  # Adagrad(0.2), global gradient-norm clip 10, as bilm-tf
    lm.fit(make_lm_dataset("train/*.txt", vocabulary, batch_size=128))
    lm.elmo.save_bilm_hdf5("weights.hdf5", "options.json")
    ```

    Reference:
        - [Peters et al., 2018](https://arxiv.org/abs/1802.05365)
    """

    def __init__(
        self,
        elmo,
        vocab_size,
        num_negative_samples=8192,
        dropout=0.1,
        seed=None,
        sampler_dtype="float64",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.vocab_size = int(vocab_size)
        self.num_negative_samples = min(
            int(num_negative_samples), self.vocab_size
        )
        self.dropout = float(dropout)
        self.seed = seed
        self.sampler_dtype = sampler_dtype

        # === Layers ===
        self.elmo = as_elmo(elmo)
        self.output_dropout = PhiloxDropout(
            self.dropout, dtype=self.dtype_policy, name="output_dropout"
        )
        self.softmax = SampledSoftmaxHead(
            self.vocab_size,
            num_negative_samples=self.num_negative_samples,
            seed=seed,
            sampler_dtype=sampler_dtype,
            dtype=self.dtype_policy,
            name="softmax",
        )
        self.softmax.build((None, None, self.elmo.bilm.output_dim))
        self.output_dropout.build((None, None, self.elmo.bilm.output_dim))
        # Every weight exists now (ELMo builds itself): see
        # `_maybe_symbolic_build`.
        self.built = True
        # A frozen model reloaded from its config: freeze the sublayers too.
        propagate_trainable(self)

        # === Metrics ===
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.perplexity = Perplexity(name="perplexity")
        self.forward_perplexity = Perplexity(name="forward_perplexity")
        self.backward_perplexity = Perplexity(name="backward_perplexity")
        self.gradient_norm = keras.metrics.Mean(name="gradient_norm")

    @classmethod
    def from_preset(
        cls, handle, load_weights=True, initial_state="zeros", **kwargs
    ):
        """A trained language model: a preset's biLM and softmax.

        The preset must hold the softmax (`softmax/W`, `softmax/b` in
        `weights.hdf5`), as `save_to_preset` and `keras-elmo train` write
        it; its rows give the vocabulary size. The official models ship
        without their softmax and load with `ELMo.from_preset` only.

        Args:
            handle: str. A built-in name, a preset directory, an archive or
                a URL (see `ELMo.from_preset`).
            load_weights: bool. Load the trained biLM and softmax; `False`
                gives fresh weights of the preset's shapes. Defaults to
                `True`.
            initial_state: str. The biLM's initial state, `"zeros"` or
                `"warm"` (see `keras_elmo.ELMo`). Defaults to `"zeros"`.
            **kwargs: other `ELMoLanguageModel` arguments
                (`num_negative_samples`, `dropout`, `seed`, ...).

        Raises:
            ValueError: the preset has no softmax.

        Example:

        ```python
        lm = keras_elmo.ELMoLanguageModel.from_preset("runs/en/export")
        vocabulary = keras_elmo.presets.resolve_preset(
            "runs/en/export").vocabulary()
        ```
        """
        loader = get_preset_loader(handle)
        if not loader.has_softmax():
            raise loader.no_softmax_error()
        elmo = loader.load_elmo(
            ELMo, load_weights, initial_state=initial_state, name="elmo"
        )
        model = cls(elmo, loader.softmax_rows(), **kwargs)
        if load_weights:
            loader.load_softmax(model.softmax)
        return model

    def save_to_preset(
        self, preset_dir, vocabulary=None, metadata=None, model_card=None
    ):
        """Write the biLM, its softmax and the vocabulary as a preset.

        The biLM part loads everywhere the original format does; the
        softmax is kept as `softmax/W` and `softmax/b` (other toolkits
        ignore them). The directory appears atomically.

        Args:
            preset_dir: str. The directory (replaced if present).
            vocabulary: list of str or `None`. The tokens of the softmax
                rows, written to `vocabulary.txt`.
            metadata: dict or `None`. Entries for `metadata.json`.
            model_card: str or `None`. A README.md to copy in.

        Example:

        >>> lm.save_to_preset("runs/en/export", vocabulary=tokens)
        """
        if vocabulary is not None and len(vocabulary) != self.vocab_size:
            raise ValueError(
                f"`vocabulary` has {len(vocabulary)} tokens, but the "
                f"softmax has {self.vocab_size} rows."
            )
        with write_preset(preset_dir) as writer:
            self.elmo.write_preset_files(writer, metadata, model_card)
            save_softmax_weights(self.softmax, writer.weights_file)
            if vocabulary is not None:
                writer.write_vocabulary(vocabulary)

    @property
    def metrics(self):
        return [
            self.loss_tracker,
            self.perplexity,
            self.forward_perplexity,
            self.backward_perplexity,
            self.gradient_norm,
        ]

    def compile(self, optimizer="auto", **kwargs):
        """Compile with bilm-tf's optimizer by default.

        Args:
            optimizer: `"auto"` for Adagrad with learning rate 0.2, initial
                accumulator 1.0 and a global gradient-norm clip of 10 (the
                original recipe), or any Keras optimizer.
            **kwargs: other `keras.Model.compile` arguments (`jit_compile`,
                `steps_per_execution`, ...). No loss is needed.
        """
        if optimizer == "auto":
            optimizer = keras.optimizers.Adagrad(
                learning_rate=0.2,
                initial_accumulator_value=1.0,
                global_clipnorm=10.0,
            )
        super().compile(optimizer=optimizer, **kwargs)

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Keras (3.15, TF backend) fetches a batch here under a tf.distribute
        # strategy and reduces it across replicas to build the model
        # symbolically; MultiWorkerMirroredStrategy with several workers
        # cannot reduce it (it fails even for a plain `Dense` model). The
        # weights exist from `__init__`, so no batch is needed: only the
        # optimizer is left to build, under the strategy scope.
        if self._distribute_strategy is None or not all(
            layer.built for layer in self._flatten_layers()
        ):
            return super()._maybe_symbolic_build(iterator, data_batch)
        with self.distribute_strategy.scope():
            self._symbolic_build()

    def call(self, inputs, training=None):
        character_ids = (
            inputs["character_ids"] if isinstance(inputs, dict) else inputs
        )
        outputs = self.elmo(character_ids, training=training)
        top = outputs["layers"][:, -1]  # (batch, tokens, 2 * dim)
        forward, backward = ops.split(top, 2, axis=-1)  # (b, t, dim) each
        return {"forward": forward, "backward": backward}

    def _negative_log_likelihoods(self, x, y, training):
        hidden = self(x, training=training)
        results = {}
        for direction, key in (
            ("forward", "next_token_ids"),
            ("backward", "previous_token_ids"),
        ):
            labels = ops.cast(y[key], "int32")  # (batch, tokens)
            states = self.output_dropout(hidden[direction], training=training)
            nll = self.softmax(states, labels, training=training)  # (b, t)
            count = ops.sum(ops.cast(labels >= 0, "float32"))
            results[direction] = (ops.sum(nll), count)
        return results

    def _loss(self, results):
        means = [
            nll_sum / ops.maximum(count, 1.0)
            for nll_sum, count in results.values()
        ]
        return 0.5 * (means[0] + means[1])

    def _loss_and_results(self, x, y, training):
        """The loss (with any regularization) and the NLL sums and counts.

        The one forward pass and loss of every backend's train step (they
        differ only in how they take gradients) and of `test_step`.
        """
        results = self._negative_log_likelihoods(x, y, training=training)
        loss = self._loss(results)
        regularization = self.losses
        if regularization:
            loss = loss + ops.sum(ops.stack(regularization))
        return loss, results

    def _update_metrics(self, loss, results, gradient_norm=None):
        (f_sum, f_count), (b_sum, b_count) = (
            results["forward"],
            results["backward"],
        )
        self.loss_tracker.update_state(loss)
        self.forward_perplexity.update_state(f_sum, f_count)
        self.backward_perplexity.update_state(b_sum, b_count)
        # The average perplexity: exp of the mean of both directions' NLL.
        self.perplexity.update_state(f_sum + b_sum, f_count + b_count)
        if gradient_norm is not None:
            self.gradient_norm.update_state(gradient_norm)

    def train_step(self, *args):
        """One optimizer step: Keras calls it from `fit`.

        Keras's trainers differ per backend, and so does this step: on JAX
        it is stateless, `train_step(state, data) -> (logs, state)`, with
        `jax.value_and_grad`; on PyTorch `loss.backward()`; on TensorFlow a
        `tf.GradientTape` under `tf.distribute`. All three compute the loss
        with `_loss_and_results` and log the same metrics: loss,
        perplexity, forward and backward perplexity, and the global norm of
        the gradient before clipping (`gradient_norm`).
        """
        backend = keras.config.backend()
        if backend == "jax":
            return self._jax_train_step(*args)
        if backend == "torch":
            return self._torch_train_step(*args)
        return self._tensorflow_train_step(*args)

    def _tensorflow_train_step(self, data):
        import tensorflow as tf

        x, y = data[0], data[1]
        # Under tf.distribute the optimizer sums the replicas' gradients:
        # each replica's loss is divided by their number, so that the sum
        # is the gradient of the mean loss (bilm-tf averages its GPUs).
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        with tf.GradientTape() as tape:
            loss, results = self._loss_and_results(x, y, training=True)
            scaled = self.optimizer.scale_loss(loss / replicas)
        variables = self.trainable_variables
        gradients = _densify_small(tape.gradient(scaled, variables), variables)
        # The norm of this replica's gradient of `loss`, before clipping:
        # undo the replica division and the mixed-float16 loss scale.
        unscale = replicas / self.optimizer.scale_loss(1.0)
        gradient_norm = tf.linalg.global_norm(gradients) * unscale
        self.optimizer.apply(gradients, variables)
        self._update_metrics(loss, results, gradient_norm)
        return _step_logs(self.metrics)

    def _torch_train_step(self, data):
        import torch

        x, y = data[0], data[1]
        # Clear the gradients the previous step left on the weights.
        self.zero_grad()
        loss, results = self._loss_and_results(x, y, training=True)
        self.optimizer.scale_loss(loss).backward()
        variables = self.trainable_weights[:]
        gradients = [variable.value.grad for variable in variables]
        with torch.no_grad():
            gradient_norm = _global_norm(gradients) / self.optimizer.scale_loss(
                1.0
            )
            self.optimizer.apply(gradients, variables)
            results = {
                direction: (nll_sum.detach(), count.detach())
                for direction, (nll_sum, count) in results.items()
            }
            self._update_metrics(loss.detach(), results, gradient_norm)
        return _step_logs(self.metrics)

    def _jax_train_step(self, state, data):
        import jax

        (
            trainable_values,
            non_trainable_values,
            optimizer_values,
            metrics_values,
        ) = state
        x, y = data[0], data[1]
        optimizer_mapping = list(
            zip(self.optimizer.variables, optimizer_values)
        )

        def scaled_loss(trainable_values, non_trainable_values):
            # The forward pass, dropout and sampled softmax read the given
            # values; the seed generators' new states come back as
            # non-trainable values.
            (loss, results), non_trainable_values = self._stateless_forward(
                trainable_values, non_trainable_values, x, y, training=True
            )
            # The mixed-float16 loss scale is an optimizer variable.
            with keras.StatelessScope(state_mapping=optimizer_mapping):
                scaled = self.optimizer.scale_loss(loss)
            return scaled, (loss, results, non_trainable_values)

        gradient_fn = jax.value_and_grad(scaled_loss, has_aux=True)
        (_, (loss, results, non_trainable_values)), gradients = gradient_fn(
            trainable_values, non_trainable_values
        )
        with keras.StatelessScope(state_mapping=optimizer_mapping):
            gradient_norm = _global_norm(gradients) / self.optimizer.scale_loss(
                1.0
            )
        trainable_values, optimizer_values = self.optimizer.stateless_apply(
            optimizer_values, gradients, trainable_values
        )
        logs, metrics_values = self._stateless_metrics(
            metrics_values, loss, results, gradient_norm
        )
        state = (
            trainable_values,
            non_trainable_values,
            optimizer_values,
            metrics_values,
        )
        return logs, state

    def _stateless_forward(
        self, trainable_values, non_trainable_values, x, y, training
    ):
        """`_loss_and_results` on given variable values (JAX).

        Returns:
            `((loss, results), non_trainable_values)`, the latter updated
            (the dropout and sampler seed generators advance).
        """
        mapping = list(zip(self.trainable_variables, trainable_values))
        mapping += list(zip(self.non_trainable_variables, non_trainable_values))
        with keras.StatelessScope(
            state_mapping=mapping, collect_losses=True
        ) as scope:
            outputs = self._loss_and_results(x, y, training=training)
        non_trainable_values = _current_values(
            scope, self.non_trainable_variables, non_trainable_values
        )
        return outputs, non_trainable_values

    def _stateless_metrics(self, metrics_values, loss, results, norm=None):
        """Update the metrics on given values (JAX): `(logs, new values)`."""
        metrics = self.metrics if norm is not None else self._test_metrics()
        mapping = list(zip(self.metrics_variables, metrics_values))
        with keras.StatelessScope(state_mapping=mapping) as scope:
            self._update_metrics(loss, results, norm)
            logs = _step_logs(metrics)
        metrics_values = _current_values(
            scope, self.metrics_variables, metrics_values
        )
        return logs, metrics_values

    def _test_metrics(self):
        return [m for m in self.metrics if m is not self.gradient_norm]

    def test_step(self, *args):
        """Full-softmax evaluation of one batch (stateless on JAX)."""
        if keras.config.backend() == "jax":
            return self._jax_test_step(*args)
        (data,) = args
        x, y = data[0], data[1]
        loss, results = self._loss_and_results(x, y, training=False)
        self._update_metrics(loss, results)
        return _step_logs(self._test_metrics())

    def _jax_test_step(self, state, data):
        trainable_values, non_trainable_values, metrics_values = state
        x, y = data[0], data[1]
        (loss, results), non_trainable_values = self._stateless_forward(
            trainable_values, non_trainable_values, x, y, training=False
        )
        logs, metrics_values = self._stateless_metrics(
            metrics_values, loss, results
        )
        return logs, (trainable_values, non_trainable_values, metrics_values)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "elmo": keras.saving.serialize_keras_object(self.elmo),
                "vocab_size": self.vocab_size,
                "num_negative_samples": self.num_negative_samples,
                "dropout": self.dropout,
                "seed": self.seed,
                "sampler_dtype": self.sampler_dtype,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _global_norm(gradients):
    """The global L2 norm of a list of dense gradients (`None` skipped)."""
    squares = [
        ops.sum(ops.square(ops.cast(gradient, "float32")))
        for gradient in gradients
        if gradient is not None
    ]
    return ops.sqrt(sum(squares))


def _current_values(scope, variables, values):
    """The values of `variables` at the end of a `StatelessScope`."""
    current = []
    for variable, value in zip(variables, values):
        new_value = scope.get_current_value(variable)
        current.append(value if new_value is None else new_value)
    return current


def _step_logs(metrics):
    """The metric results a train or test step returns to Keras.

    With several `tf.distribute` workers, Keras (3.15) reduces each returned
    value with `strategy.reduce("MEAN", value, axis=0)`, which a scalar does
    not have: there the results get a leading axis of 1, which the
    reduction removes.
    """
    logs = {metric.name: metric.result() for metric in metrics}
    if keras.config.backend() != "tensorflow":
        return logs
    import tensorflow as tf

    from keras_elmo.utils.distribution import worker_count

    if worker_count(tf.distribute.get_strategy()) > 1:
        logs = {name: ops.reshape(value, (1,)) for name, value in logs.items()}
    return logs
