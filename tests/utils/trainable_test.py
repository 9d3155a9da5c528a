import keras

from keras_elmo.utils.trainable import propagate_trainable


class _Outer(keras.layers.Layer):
    def __init__(self, propagate=True, **kwargs):
        super().__init__(**kwargs)
        self.inner = keras.layers.Dense(3, name="inner")
        self.inner.build((None, 2))
        if propagate:
            propagate_trainable(self)


def test_trainable_false_from_the_constructor_reaches_sublayers():
    # Without the helper, Keras leaves the sublayer trainable.
    assert _Outer(propagate=False, trainable=False).inner.trainable
    outer = _Outer(trainable=False)
    assert not outer.inner.trainable
    assert [v.trainable for v in outer.inner.weights] == [False, False]


def test_trainable_layers_are_left_alone():
    outer = _Outer()
    assert outer.trainable and outer.inner.trainable
