"""Pruning with fine-tuning: prune_and_finetune trains a copy of a Keras model on the user's
data while raising the sparsity of its conv and dense kernels gradually, so that the
remaining weights learn to make up for the removed ones.

Schedule (polynomial decay of the density, as in Zhu & Gupta 2017, "To prune, or not to
prune"): at training step t of a ramp of R steps the target sparsity is
    s(t) = s_final * (1 - (1 - t / R) ** 3)
— fast early, when many weights are redundant, slow near the end. The ramp covers the
first `ramp` fraction of the steps; the rest trains at the final sparsity so the network
recovers. Every `update_every` steps the masks are recomputed by magnitude on the current
(masked) weights; after every batch the masks are re-applied, so pruned weights stay exactly
zero whatever the optimizer does. When training ends the masks are recomputed at exactly the
final sparsity.

The masks are computed in TensorFlow Lite's weight layout (magnitude.py), so blocks are the
ones the converter stores: Dense kernel [in, out] is seen as [out, in], Conv2D kernel
[kh, kw, in, out] as [out, kh, kw, in], DepthwiseConv2D kernel [kh, kw, in, mult] as
[1, kh, kw, in * mult]."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .magnitude import check_sparsity, magnitude_mask, parse_block

PRUNABLE_LAYERS = ("Dense", "Conv2D", "DepthwiseConv2D")


def _to_format(layer_class: str, kernel: np.ndarray) -> np.ndarray:
    if layer_class == "Dense":
        return kernel.T
    if layer_class == "Conv2D":
        return kernel.transpose(3, 0, 1, 2)
    kh, kw, cin, mult = kernel.shape            # DepthwiseConv2D
    return kernel.reshape(1, kh, kw, cin * mult)


def _from_format(layer_class: str, w: np.ndarray, kernel_shape) -> np.ndarray:
    if layer_class == "Dense":
        return w.T
    if layer_class == "Conv2D":
        return w.transpose(1, 2, 3, 0)
    return w.reshape(kernel_shape)


def prunable_layers(model) -> list:
    """Layers (also inside nested models) whose kernel is pruned: exact classes Dense,
    Conv2D and DepthwiseConv2D (grouped Conv2D included)."""
    found, seen = [], set()

    def visit(m):
        for layer in getattr(m, "layers", []):
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            if type(layer).__name__ in PRUNABLE_LAYERS and getattr(layer, "kernel", None) \
                    is not None:
                found.append(layer)
            visit(layer)
    visit(model)
    return found


def kernel_mask(layer, sparsity: float, block: tuple[int, int]) -> np.ndarray:
    """Keep-mask of `layer`'s kernel (Keras layout) at `sparsity`, blocks in the file's
    layout."""
    cls = type(layer).__name__
    kernel = np.asarray(layer.kernel.numpy())
    mask = magnitude_mask(_to_format(cls, kernel), sparsity, block, name=layer.name)
    return _from_format(cls, mask, kernel.shape)


def polynomial_sparsity(step: int, ramp_steps: int, final: float) -> float:
    """s(t) = final * (1 - (1 - t/R)^3), clamped to [0, final]."""
    if ramp_steps <= 0:
        return final
    frac = min(max(step / ramp_steps, 0.0), 1.0)
    return final * (1.0 - (1.0 - frac) ** 3)


def sparsity_of(model) -> dict[str, float]:
    """Zero fraction of each prunable kernel, by layer name."""
    return {layer.name: float(np.mean(np.asarray(layer.kernel.numpy()) == 0))
            for layer in prunable_layers(model)}


def _pruning_callback(layers, final: float, block, ramp_steps: int, update_every: int):
    import keras

    class MagnitudePruning(keras.callbacks.Callback):
        """Raises the sparsity on the schedule and keeps pruned weights at zero."""

        def __init__(self):
            super().__init__()
            self.step = 0
            self.masks = {id(layer): np.ones(layer.kernel.shape, bool) for layer in layers}
            self.current = 0.0

        def _apply(self):
            for layer in layers:
                kernel = np.asarray(layer.kernel.numpy())
                mask = self.masks[id(layer)]
                layer.kernel.assign(np.where(mask, kernel, 0).astype(kernel.dtype))

        def _update(self, sparsity: float):
            self.current = sparsity
            for layer in layers:
                self.masks[id(layer)] = kernel_mask(layer, sparsity, block)
            self._apply()

        def on_train_batch_begin(self, batch, logs=None):
            if self.step % update_every == 0 and self.step <= ramp_steps:
                self._update(polynomial_sparsity(self.step, ramp_steps, final))

        def on_train_batch_end(self, batch, logs=None):
            self.step += 1
            self._apply()

        def on_train_end(self, logs=None):
            self._update(final)

    return MagnitudePruning()


def prune_and_finetune(model, x, y=None, sparsity: float = 0.75, epochs: int = 3,
                       block=(1, 1), *, optimizer: Any = None, loss: Any = None,
                       metrics: Optional[list] = None, ramp: float = 0.7,
                       update_every: Optional[int] = None, **fit_kwargs):
    """A pruned copy of the Keras `model` (the model itself is not changed): its Dense,
    Conv2D and DepthwiseConv2D kernels reach `sparsity` (fraction of zeros, per layer, by
    magnitude, in `block`s "1x1" / "1x4" / "4x1" or (1, 1) / (1, 4) / (4, 1)) while it
    trains for `epochs` on `x`, `y` (anything keras.Model.fit takes; `fit_kwargs` such as
    batch_size, validation_data, callbacks go to fit). The sparsity rises on a polynomial
    schedule over the first `ramp` fraction of the steps, masks recomputed every
    `update_every` steps (default: 10 updates over the ramp).

    The copy is compiled with `optimizer` / `loss` / `metrics` when given, else with a fresh
    optimizer of the model's compiled kind and the model's compiled loss and metrics.
    Convert the result with convert(pruned, prune=0) (or the same prune=sparsity) to store
    its zeros sparse."""
    import keras

    final = check_sparsity(sparsity)
    block = parse_block(block)
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, not {epochs}")
    if not 0.0 < ramp <= 1.0:
        raise ValueError(f"ramp must be in (0, 1], not {ramp}")

    try:
        pruned = keras.models.clone_model(model)
    except Exception as exc:   # subclassed models without get_config
        raise ValueError(f"cannot copy the model to prune it ({exc}); build it with the "
                         "functional or Sequential API") from exc
    pruned.set_weights(model.get_weights())

    if loss is None:
        loss = getattr(model, "loss", None)
        if loss is None:
            raise ValueError("the model is not compiled: pass loss= (and optimizer=)")
    if optimizer is None:
        if getattr(model, "optimizer", None) is not None:
            optimizer = model.optimizer.__class__.from_config(model.optimizer.get_config())
        else:
            optimizer = "adam"
    if metrics is None:
        metrics = _compiled_metrics(model)
    pruned.compile(optimizer=optimizer, loss=loss, metrics=metrics)

    layers = prunable_layers(pruned)
    if not layers:
        raise ValueError("the model has no Dense, Conv2D or DepthwiseConv2D layer to prune")

    steps_per_epoch = fit_kwargs.get("steps_per_epoch") or _steps_per_epoch(
        x, fit_kwargs.get("batch_size"))
    total = max(1, steps_per_epoch * epochs)
    ramp_steps = max(1, int(round(total * ramp)))
    if update_every is None:
        update_every = max(1, ramp_steps // 10)
    callback = _pruning_callback(layers, final, block, ramp_steps, int(update_every))
    callbacks = list(fit_kwargs.pop("callbacks", None) or []) + [callback]
    fit_kwargs.setdefault("verbose", 0)
    pruned.fit(x, y, epochs=epochs, callbacks=callbacks, **fit_kwargs)
    return pruned


def _compiled_metrics(model) -> Optional[list]:
    get_config = getattr(model, "get_compile_config", None)
    cfg = get_config() if get_config is not None else None
    if not cfg:
        return None
    metrics = cfg.get("metrics")
    return list(metrics) if isinstance(metrics, (list, tuple)) else None


def _steps_per_epoch(x, batch_size: Optional[int]) -> int:
    """Batches per epoch for array inputs (Keras' default batch size is 32); 1 when the
    length is unknown (a dataset or generator: pass steps_per_epoch= for a finer schedule)."""
    first = x
    if isinstance(x, dict):
        first = next(iter(x.values()))
    elif isinstance(x, (list, tuple)) and x:
        first = x[0]
    n = getattr(first, "shape", None)
    if not n:
        try:
            return max(1, len(x))
        except TypeError:
            return 1
    return max(1, -(-int(n[0]) // int(batch_size or 32)))
