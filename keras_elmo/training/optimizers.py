"""The optimizer and learning-rate schedule of a `TrainingConfig`."""

import keras


def learning_rate_schedule(config, total_steps):
    """The learning rate (a float or a schedule) of `config`.

    `"cosine"`: linear warmup from 0 to `config.learning_rate` over
    `config.warmup_steps` (at most a tenth of the run, so that a short run
    reaches its peak), then cosine decay to
    `config.final_learning_rate_fraction` x the peak at `decay_steps`
    (`config.decay_steps`, or `total_steps`), constant after that.
    `"constant"`: the peak after the warmup (if any).

    Args:
        config: a `TrainingConfig`.
        total_steps: int. The run's number of steps.

    Returns:
        A float or a `keras.optimizers.schedules.LearningRateSchedule`.

    Example:

    >>> schedule = learning_rate_schedule(recipe("adam", ...), 4500)
    >>> float(schedule(200))  # the peak
    0.002
    """
    peak = float(config.learning_rate)
    warmup = min(int(config.warmup_steps), int(total_steps) // 10)
    if config.decay == "constant":
        if not warmup:
            return peak
        # Warm up, then stay at the peak (a cosine with alpha 1 is flat).
        return keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=0.0,
            decay_steps=1,
            alpha=1.0,
            warmup_target=peak,
            warmup_steps=warmup,
        )
    end = int(config.decay_steps or total_steps)
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0 if warmup else peak,
        decay_steps=max(1, end - warmup),
        alpha=float(config.final_learning_rate_fraction),
        warmup_target=peak if warmup else None,
        warmup_steps=warmup,
    )


def make_optimizer(config, total_steps):
    """The Keras optimizer of `config` for a run of `total_steps` steps.

    Args:
        config: a `TrainingConfig`.
        total_steps: int. The run's number of steps (sizes the decay).

    Returns:
        A `keras.optimizers.Optimizer`.

    Example:

    >>> optimizer = make_optimizer(recipe("bilm_tf", ...), 10_000)
    >>> type(optimizer).__name__
    'Adagrad'
    """
    learning_rate = learning_rate_schedule(config, total_steps)
    clip = (
        {"global_clipnorm": config.global_clipnorm}
        if (config.global_clipnorm)
        else {}
    )
    if config.optimizer == "adagrad":
        return keras.optimizers.Adagrad(
            learning_rate=learning_rate,
            initial_accumulator_value=config.initial_accumulator_value,
            **clip,
        )
    if config.optimizer == "adam":
        return keras.optimizers.Adam(learning_rate=learning_rate, **clip)
    if config.optimizer == "adamw":
        return keras.optimizers.AdamW(
            learning_rate=learning_rate,
            weight_decay=config.weight_decay,
            **clip,
        )
    return keras.optimizers.SGD(learning_rate=learning_rate, **clip)
