"""The Keras group of tools/make_exporter_models.py: a Keras LSTM classifier and a Keras CNN, each
converted by tf2onnx from a tf.function over the model (tf2onnx's from_keras does not take Keras 3
models; from_function is how tf2onnx converts them), with a fixed-shape and a dynamic-batch
variant. TensorFlow's layout is NHWC: tf2onnx keeps the input NHWC and inserts Transposes.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np
import tensorflow as tf
import keras
import tf2onnx


def randomize_bn(model, rng):
    # As for torch: fresh BatchNormalization layers are identities; give them trained-like values.
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            c = gamma.shape[0]
            layer.set_weights([rng.uniform(0.75, 1.25, c).astype(np.float32), rng.normal(0, 0.1, c).astype(np.float32),
                               rng.normal(0, 0.1, c).astype(np.float32), rng.uniform(0.75, 1.25, c).astype(np.float32)])


def lstm_model():
    return keras.Sequential([keras.Input((12, 16)), keras.layers.LSTM(32), keras.layers.Dense(5)])


def cnn_model():
    L = keras.layers
    return keras.Sequential([
        keras.Input((32, 32, 3)),
        L.Conv2D(16, 3, padding="same", use_bias=False), L.BatchNormalization(), L.ReLU(),
        L.DepthwiseConv2D(3, padding="same", use_bias=False), L.BatchNormalization(), L.ReLU(6.0),
        L.Conv2D(32, 1, use_bias=False), L.BatchNormalization(), L.ReLU(),
        L.MaxPooling2D(2),
        L.Conv2D(32, 3, strides=2, padding="same", activation="relu"),
        L.GlobalAveragePooling2D(),
        L.Dense(32, activation="relu"),
        L.Dense(10)])


def keras_cases(out, write_case, versions, seed, opset, tol):
    ver = versions("tensorflow", "keras", "tf2onnx")
    rng = np.random.default_rng(seed + 2)
    cases = [("keras_lstm", lstm_model, lambda n: rng.standard_normal((n, 12, 16)).astype(np.float32)),
             ("keras_cnn", cnn_model, lambda n: rng.standard_normal((n, 32, 32, 3)).astype(np.float32))]
    for name, make, data in cases:
        keras.utils.set_random_seed(seed)
        model = make()
        randomize_bn(model, rng)
        fn = tf.function(lambda x, m=model: m(x, training=False))
        for suffix, batch, feeds in (("", 2, data(2)), ("_dynamic", None, data(3))):
            spec = [tf.TensorSpec((batch,) + tuple(model.input_shape[1:]), tf.float32, name="input")]
            proto, _ = tf2onnx.convert.from_function(fn, input_signature=spec, opset=opset)
            meta = {"family": name, "exporter": "tf2onnx.convert.from_function (Keras 3 model in a tf.function)", "seed": seed,
                    "versions": ver}
            if batch is None:
                meta["dynamic_axes"] = {"input": [0]}
            write_case(out, name + suffix, proto, [feeds], meta, tol)
