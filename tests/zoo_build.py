"""Make one test-zoo model: `python zoo_build.py NAME OUT.tflite`.

Run by `zoo.build_zoo` in a subprocess per model, because TensorFlow's converter can crash the
process on some graphs (full-int8 LSTM), and one crash must cost one model, not the zoo.
Weights are seeded and untrained: the zoo tests the runtime, not the model's accuracy.
TensorFlow is imported only in `main` (builders get Keras as an argument), so `zoo.py` can read
BUILDERS without paying for a TensorFlow import.
"""

from __future__ import annotations

import sys

import numpy as np

SEED = 1234
CALIBRATION_SAMPLES = 32


def _representative(model):
    """Seeded calibration data with each input's shape (batch 1), for full-integer quantization."""
    rng = np.random.default_rng(SEED)
    shapes = [tuple(1 if d is None else d for d in t.shape) for t in model.inputs]

    def gen():
        for _ in range(CALIBRATION_SAMPLES):
            yield [rng.uniform(-1.0, 1.0, s).astype(np.float32) for s in shapes]

    return gen


def _convert(model, mode: str) -> bytes:
    """Convert as `host train` does (host.train.convert.quantize_as): mode "float", "int8" or
    "int16x8"."""
    import tensorflow as tf

    from host.train.convert import quantize_as

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    quantize_as(converter, mode, _representative(model))
    return converter.convert()


def fc_float(keras) -> bytes:
    """Float32 fully connected: FULLY_CONNECTED with fused RELU, no quantization anywhere."""
    model = keras.Sequential(
        [
            keras.Input((16,), batch_size=1),
            keras.layers.Dense(24, activation="relu"),
            keras.layers.Dense(8),
        ]
    )
    return _convert(model, "float")


def fc_int8(keras) -> bytes:
    """Int8 fully connected with int8 input and output (the common microcontroller case)."""
    model = keras.Sequential(
        [
            keras.Input((20,), batch_size=1),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(10),
        ]
    )
    return _convert(model, "int8")


def cnn_int8(keras) -> bytes:
    """Int8 CNN: CONV_2D, DEPTHWISE_CONV_2D, MAX_POOL_2D, AVERAGE_POOL_2D, FULLY_CONNECTED,
    SOFTMAX.
    """
    model = keras.Sequential(
        [
            keras.Input((12, 12, 2), batch_size=1),
            keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.DepthwiseConv2D(3, padding="valid", activation="relu"),
            keras.layers.AveragePooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(5),
            keras.layers.Softmax(),
        ]
    )
    return _convert(model, "int8")


def multi_io_int8(keras) -> bytes:
    """Two inputs of different shapes, three outputs: tensor order must follow the model, not
    names.
    """
    # The converter orders inputs by name when feeding calibration data: names sort as declared.
    signal = keras.Input((10,), batch_size=1, name="a_signal")
    context = keras.Input((4,), batch_size=1, name="b_context")
    merged = keras.layers.Concatenate()(
        [
            keras.layers.Dense(6, activation="relu")(signal),
            keras.layers.Dense(6, activation="relu")(context),
        ]
    )
    outputs = [
        keras.layers.Dense(3, name="head_a")(merged),
        keras.layers.Dense(2, name="head_b")(merged),
        keras.layers.Dense(7, name="head_c")(signal),
    ]
    return _convert(keras.Model([signal, context], outputs), "int8")


def fc_conv_16x8(keras) -> bytes:
    """16x8 quantization: int16 activations and input/output, int8 weights (CONV_2D and FC)."""
    model = keras.Sequential(
        [
            keras.Input((6, 6, 1), batch_size=1),
            keras.layers.Conv2D(3, 3, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(12, activation="relu"),
            keras.layers.Dense(4),
        ]
    )
    return _convert(model, "int16x8")


def lstm_float(keras) -> bytes:
    """Float LSTM, converted to the fused UNIDIRECTIONAL_SEQUENCE_LSTM (full-int8 LSTM crashes TF
    2.21).
    """
    model = keras.Sequential(
        [
            keras.Input((8, 3), batch_size=1),
            keras.layers.LSTM(6),
            keras.layers.Dense(2),
        ]
    )
    return _convert(model, "float")


def elementwise_int8(keras) -> bytes:
    """Int8 RESHAPE, CONCATENATION, ADD and MUL between two inputs."""
    a = keras.Input((4, 6), batch_size=1)
    b = keras.Input((24,), batch_size=1)
    b_as_a = keras.layers.Reshape((4, 6))(b)
    total = keras.layers.Add()([a, b_as_a])
    product = keras.layers.Multiply()([a, b_as_a])
    joined = keras.layers.Concatenate(axis=-1)([total, product])
    flat = keras.layers.Reshape((48,))(joined)
    return _convert(keras.Model([a, b], flat), "int8")


def activations_int8(keras) -> bytes:
    """Int8 TANH and LOGISTIC (lookup-table kernels that differ between reference and CMSIS-NN)."""
    x = keras.Input((16,), batch_size=1)
    hidden = keras.layers.Dense(16)(x)
    outputs = [
        keras.layers.Activation("tanh")(hidden),
        keras.layers.Activation("sigmoid")(hidden),
    ]
    return _convert(keras.Model(x, outputs), "int8")


def reduce_slice_int8(keras) -> bytes:
    """Int8 MEAN, STRIDED_SLICE and CONCATENATION, as TensorFlow's converter emits them for
    pooling and cropping: the operator mix that crashed the VM at arenas a little above the
    minimum (kernels using arena memory they had not got)."""
    x = keras.Input((16, 4), batch_size=1)
    mean = keras.layers.GlobalAveragePooling1D()(x)
    cropped = keras.layers.Flatten()(keras.layers.Cropping1D((2, 10))(x))
    joined = keras.layers.Concatenate()([mean, cropped])
    return _convert(keras.Model(x, keras.layers.Dense(3)(joined)), "int8")


def big_fc_int8(keras) -> bytes:
    """Int8 fully connected with ~260 KB of weights: large enough that a copy into RAM would
    show.
    """
    model = keras.Sequential(
        [
            keras.Input((256,), batch_size=1),
            keras.layers.Dense(1024, activation="relu"),
            keras.layers.Dense(4),
        ]
    )
    return _convert(model, "int8")


def stateful_float(keras) -> bytes:
    """Float32 with a resource variable: a running sum of the inputs (VAR_HANDLE,
    READ_VARIABLE, ASSIGN_VARIABLE, initialised in a CALL_ONCE subgraph), so each invoke's
    output depends on the ones before it until the model is reset.
    """
    import tensorflow as tf

    class RunningSum(tf.Module):
        def __init__(self):
            self.total = tf.Variable(tf.zeros([1, 4]), name="total")

        @tf.function(input_signature=[tf.TensorSpec([1, 4], tf.float32)])
        def __call__(self, x):
            self.total.assign_add(x)
            return self.total * 2.0

    module = RunningSum()
    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [module.__call__.get_concrete_function()], module
    )
    converter.experimental_enable_resource_variables = True
    return converter.convert()


BUILDERS = {
    f.__name__: f
    for f in (
        fc_float,
        fc_int8,
        cnn_int8,
        multi_io_int8,
        fc_conv_16x8,
        lstm_float,
        elementwise_int8,
        activations_int8,
        reduce_slice_int8,
        big_fc_int8,
        stateful_float,
    )
}


def main(argv: list[str]) -> int:
    name, out = argv
    import tf_keras

    tf_keras.utils.set_random_seed(SEED)
    data = BUILDERS[name](tf_keras)
    with open(out, "wb") as f:
        f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
