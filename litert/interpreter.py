"""`Interpreter`: runs a TensorFlow Lite flatbuffer model on litert's C runtime.

The API follows `tf.lite.Interpreter` (ai_edge_litert.interpreter.Interpreter) so code written
for TensorFlow Lite runs unchanged: the same methods, the same details dicts (keys and value
types), the same exceptions for the same mistakes (ValueError for bad arguments, RuntimeError
when running fails). The binding does no work of its own beyond converting between NumPy and C
and checking arguments; every computation and every model check happens in the C library,
whose messages are passed on in the exceptions.
"""

import contextlib
import operator
import os
import threading
import weakref

import numpy as np

from . import custom_ops as custom_ops_module
from ._native import ERROR_BUFFER_BYTES, ffi, lib, string

# lt_type (TensorFlow Lite's TensorType values) <-> NumPy scalar type. Types NumPy cannot hold
# (RESOURCE, VARIANT, INT4, BFLOAT16) are absent: such tensors are left out of
# get_tensor_details(), as TensorFlow Lite leaves out tensors it cannot describe.
_NUMPY_TYPE = {
    lib.LT_FLOAT32: np.float32,
    lib.LT_FLOAT16: np.float16,
    lib.LT_INT32: np.int32,
    lib.LT_UINT8: np.uint8,
    lib.LT_INT64: np.int64,
    lib.LT_STRING: np.bytes_,
    lib.LT_BOOL: np.bool_,
    lib.LT_INT16: np.int16,
    lib.LT_COMPLEX64: np.complex64,
    lib.LT_INT8: np.int8,
    lib.LT_FLOAT64: np.float64,
    lib.LT_COMPLEX128: np.complex128,
    lib.LT_UINT64: np.uint64,
    lib.LT_UINT32: np.uint32,
    lib.LT_UINT16: np.uint16,
}

_LIVE_VIEWS_MESSAGE = (
    "There is at least 1 reference to internal data in the interpreter in the form of a numpy "
    "array or slice. {action} would move tensor buffers and leave it dangling. Hold the "
    "function returned by tensor() rather than the array it returns, and drop such arrays "
    "(del) before calling {call}."
)

_INT32_MIN, _INT32_MAX = np.iinfo(np.int32).min, np.iinfo(np.int32).max

# Looked up once: invoke() is called in tight loops, where attribute lookups on lib show.
_lt_invoke = lib.lt_interpreter_invoke
_LT_OK = lib.LT_OK


class _NativeInterpreter:
    """Owns the C model, the C interpreter and the model bytes the model points into (the C
    side is zero-copy). Freed when the Python interpreter is closed, or later, when the last
    NumPy view returned by tensor() goes away: a view must never outlive the memory it shows."""

    def __init__(self, model, interp, model_bytes, model_buffer):
        self.model = model
        self.interp = interp
        self._model_bytes = model_bytes  # kept alive: constant tensors point into it
        self._model_buffer = model_buffer
        self.live_views = weakref.WeakSet()
        # One interpreter must not be used from two threads at once (litert.h); cffi releases
        # the GIL during calls, so calls are serialized here rather than racing in C.
        self.lock = threading.RLock()
        # Fast paths of set_tensor() / get_tensor(): tensor index -> (dtype, shape, a NumPy
        # array on the tensor's memory), filled only after the full path succeeded for that
        # tensor, emptied whenever buffers may move or change shape (allocate, resize, free).
        # The arrays never leave this object: callers get copies.
        self.set_cache = {}
        self.get_cache = {}

    def forget_buffers(self):
        """Empties the fast-path caches; before anything that may move or reshape tensors."""
        self.set_cache.clear()
        self.get_cache.clear()

    def buffer_array(self, tensor, dtype, shape, nbytes):
        """A NumPy array on a tensor's current memory (for the caches), or None when the
        tensor has no memory."""
        data = lib.lt_interpreter_tensor_data(self.interp, tensor)
        if data == ffi.NULL or nbytes == 0:
            return None
        return np.frombuffer(ffi.buffer(data, nbytes), dtype=dtype).reshape(shape)

    def free(self):
        with self.lock:
            self.forget_buffers()
            if self.interp is not None:
                lib.lt_interpreter_free(self.interp)
                self.interp = None
            if self.model is not None:
                lib.lt_model_free(self.model)  # after the interpreter made from it
                self.model = None
            self._model_bytes = None
            self._model_buffer = None

    def __del__(self):
        try:
            self.free()
        except Exception:  # interpreter shutdown may have torn down lib already
            pass

    def last_error(self):
        return string(lib.lt_interpreter_error(self.interp))


class _TensorView:
    """Exposes a live tensor buffer to NumPy through __array_interface__. The array made from
    it keeps it (as .base) and it keeps the native interpreter, so the memory stays valid for
    as long as any array onto it exists; live_views lets allocate/resize refuse to move buffers
    while one does."""

    def __init__(self, native, address, shape, dtype, readonly):
        self._native = native
        self.__array_interface__ = {
            "version": 3,
            "shape": shape,
            "typestr": np.dtype(dtype).str,
            "data": (address, readonly),
        }
        native.live_views.add(self)


class Interpreter:
    """Interpreter for TensorFlow Lite flatbuffer models, compatible with tf.lite.Interpreter.

    Args:
      model_path: path to a .tflite file (memory-mapped by the runtime).
      model_content: the model as bytes (or any bytes-like object, which is copied once so it
        cannot change under the runtime). Bytes are used in place, without a copy.
      experimental_delegates: accepted for compatibility; litert has no delegates, so it must
        be None or empty.
      num_threads: threads for the kernels (>= 1); None lets the runtime choose.
      experimental_op_resolver_type: accepted for compatibility and ignored (litert has one set
        of builtin kernels).
      experimental_preserve_all_tensors: must be False: the runtime reuses the memory of
        intermediate tensors, so their values after invoke() are not kept.
      isa: highest instruction-set level the kernels may use ("portable", "avx2", "avx512",
        "avx512vnni", "neon", "neondot"; see isa_levels()); None uses the best the CPU has
        (a level of another architecture means portable). The LITERT_ISA
        environment variable caps it further. For testing and for comparing kernels.
      max_memory_bytes: cap on the memory allocate_tensors() may plan (activations,
        scratch, op state, packed weights); None means 1 GiB. A model needing more fails at
        allocate_tensors() with a RuntimeError naming the tensor, instead of allocating it.
      custom_ops: {name: litert.CustomOp} implementing the model's custom ops in Python
        (see litert.custom_ops); they take precedence over the runtime's own custom ops.

    Raises:
      ValueError: if the model cannot be loaded or an argument is invalid.
    """

    def __init__(
        self,
        model_path=None,
        model_content=None,
        experimental_delegates=None,
        num_threads=None,
        experimental_op_resolver_type=None,
        experimental_preserve_all_tensors=False,
        isa=None,
        max_memory_bytes=None,
        custom_ops=None,
    ):
        self._native = None
        if experimental_delegates:
            raise ValueError(
                "litert runs every op on its own CPU kernels and has no delegates; pass "
                f"experimental_delegates=None (got {experimental_delegates!r})."
            )
        if experimental_preserve_all_tensors:
            raise ValueError(
                "experimental_preserve_all_tensors=True is not supported: litert reuses the "
                "memory of intermediate tensors. Make the tensors you need model outputs."
            )
        del experimental_op_resolver_type  # one resolver only; see the docstring
        if num_threads is not None:
            if not isinstance(num_threads, int) or isinstance(num_threads, bool):
                raise ValueError(f"type of num_threads should be int, got {type(num_threads)}")
            if not 1 <= num_threads <= _INT32_MAX:
                raise ValueError(f"num_threads should be >= 1 (and fit an int), got {num_threads}")
        isa_level = _isa_level(isa)
        if max_memory_bytes is not None:
            # Cap on the plan's memory (see lt_options.max_memory_bytes); None: 1 GiB.
            if not isinstance(max_memory_bytes, int) or isinstance(max_memory_bytes, bool):
                raise ValueError("type of max_memory_bytes should be int, got "
                                 f"{type(max_memory_bytes)}")
            if not 1 <= max_memory_bytes <= int(ffi.cast("size_t", -1)):
                raise ValueError("max_memory_bytes should be >= 1 (and fit a size_t), got "
                                 f"{max_memory_bytes}")
        if model_path is None and model_content is None:
            raise ValueError("`model_path` or `model_content` must be specified.")
        if model_path is not None and model_content is not None:
            raise ValueError("Can't both provide `model_path` and `model_content`.")

        err = ffi.new("char[]", ERROR_BUFFER_BYTES)
        model_bytes = model_buffer = None
        if model_path is not None:
            path = os.fsencode(model_path)
            model = lib.lt_model_from_file(path, err, ERROR_BUFFER_BYTES)
            what = f"model file {os.fsdecode(path)!r}"
        else:
            model_bytes = _as_immutable_bytes(model_content)
            model_buffer = ffi.from_buffer(model_bytes)
            model = lib.lt_model_from_buffer(model_buffer, len(model_bytes), err,
                                             ERROR_BUFFER_BYTES)
            what = f"model_content ({len(model_bytes)} bytes)"
        if model == ffi.NULL:
            raise ValueError(f"Could not load {what}: {string(err)}")

        options = ffi.new("lt_options *")
        options[0] = lib.lt_options_default()
        if num_threads is not None:
            options.num_threads = num_threads
        options.isa = isa_level
        if max_memory_bytes is not None:
            options.max_memory_bytes = max_memory_bytes
        interp = lib.lt_interpreter_create(model, options, err, ERROR_BUFFER_BYTES)
        if interp == ffi.NULL:
            lib.lt_model_free(model)
            raise ValueError(f"Could not create an interpreter for {what}: {string(err)}")

        self._native = _NativeInterpreter(model, interp, model_bytes, model_buffer)
        # The callbacks must live as long as the native interpreter that calls them.
        self._native.custom_ops = custom_ops_module.register(interp, custom_ops)
        self._allocated = False
        self._signature_defs = _read_signature_defs(model)

    # ---- lifetime -------------------------------------------------------------------------

    def close(self):
        """Frees the native interpreter and model. Further use raises ValueError. Arrays from
        tensor() that are still alive keep the memory they show valid until they are gone."""
        native, self._native = self._native, None
        if native is not None and not native.live_views:
            native.free()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    @property
    def isa(self):
        """The instruction-set level this interpreter's kernels use (see isa_levels())."""
        return ISA_LEVELS[lib.lt_interpreter_isa(self._open().interp) - 1]

    def _open(self):
        native = self._native
        if native is None or native.interp is None:
            raise ValueError("This Interpreter is closed; create a new one to run the model.")
        return native

    @contextlib.contextmanager
    def _session(self):
        """Holds the native interpreter's lock for one API call. Checks for close() again once
        the lock is held, since another thread may have closed the interpreter meanwhile."""
        native = self._open()
        with native.lock:
            self._open()
            yield native

    # ---- running ------------------------------------------------------------------------

    def allocate_tensors(self):
        """Infers shapes, prepares every op and plans memory. Needed before invoke(), and
        again after resize_tensor_input()."""
        with self._session() as native:
            _ensure_no_live_views(native, "allocate_tensors()")
            native.forget_buffers()
            if lib.lt_interpreter_allocate(native.interp) != lib.LT_OK:
                raise RuntimeError(native.last_error())
            self._allocated = True

    def invoke(self):
        """Runs the model on the current input tensors.

        Raises:
          RuntimeError: if the model cannot run (e.g. allocate_tensors() was not called).
        """
        # _session() spelled out: its generator costs about a microsecond, as much as a small
        # model's whole invoke.
        native = self._native
        if native is None or native.interp is None:
            native = self._open()  # raises: closed
        with native.lock:
            if self._native is None or native.interp is None:
                self._open()  # closed by another thread meanwhile: raises
            if _lt_invoke(native.interp) != _LT_OK:
                raise RuntimeError(native.last_error())

    def reset_all_variables(self):
        """Puts every variable tensor (e.g. an LSTM's state, which carries over from one
        invoke() to the next) back to its initial value, as tf.lite.Interpreter does."""
        with self._session() as native:
            if lib.lt_interpreter_reset_variables(native.interp) != lib.LT_OK:
                raise RuntimeError(native.last_error())

    def resize_tensor_input(self, input_index, tensor_size, strict=False):
        """Changes the shape of an input tensor; call allocate_tensors() afterwards.

        Args:
          input_index: tensor index of the input (the 'index' of get_input_details()).
          tensor_size: the new shape, a sequence of ints.
          strict: if True, only dimensions that are -1 in 'shape_signature' may change.
        """
        with self._session() as native:
            tensor = self._checked_index(native, input_index)
            position = self._input_position(native, tensor)
            dims = _shape_argument(tensor_size)
            if strict:
                _check_strict_resize(self._details(native, tensor), dims)
            _ensure_no_live_views(native, "resize_tensor_input()")
            native.forget_buffers()
            c_dims = ffi.new("int32_t[]", max(len(dims), 1))
            for i, d in enumerate(dims):
                c_dims[i] = d
            if lib.lt_interpreter_resize_input(native.interp, position, c_dims,
                                               len(dims)) != lib.LT_OK:
                raise ValueError(native.last_error())
            self._allocated = False

    # ---- profiling (litert's own addition; not in tf.lite.Interpreter) -------------------

    def profile(self, enable=True):
        """Turns per-op profiling of invoke() on or off.

        While on, every invoke() times each op (node) it runs with a monotonic clock; read the
        times with get_profile(). Turning it on starts from zero (it is a no-op when already
        on); allocate_tensors() also starts from zero, since a new plan may use other
        kernels. Turning it off discards the times. Off by default; while off it costs
        nothing measurable.

        Typical use::

            interpreter.allocate_tensors()
            interpreter.invoke()                 # warm-up, not profiled
            interpreter.profile(True)
            for _ in range(10):
                interpreter.invoke()
            for row in interpreter.get_profile(by="op"):
                print(row["op"], row["count"], round(row["time_ms"], 3), round(row["percent"], 1))
        """
        with self._session() as native:
            if lib.lt_interpreter_set_profiling(native.interp, 1 if enable else 0) != lib.LT_OK:
                raise RuntimeError(native.last_error())

    @property
    def profiling(self):
        """True while profiling is on (see profile())."""
        return bool(lib.lt_interpreter_profiling(self._open().interp))

    def reset_profile(self):
        """Zeroes the profile's times and counts (e.g. after warm-up runs).

        Raises:
          RuntimeError: if profiling is off.
        """
        with self._session() as native:
            if lib.lt_interpreter_profile_reset(native.interp) != lib.LT_OK:
                raise RuntimeError(native.last_error())

    def get_profile(self, by="node"):
        """The time spent in each op since profiling was turned on (or reset / allocated).

        Args:
          by: "node" for one dict per node that invoke() runs, in execution order:
              {'index': node index in the model, 'op': op name such as "CONV_2D",
               'time_ms': mean time per invoke, 'total_ms': summed over the invokes,
               'invokes': how many invokes ran it, 'percent': share of the summed time_ms}.
            Nodes computed once at allocate (all inputs constant) are not run by invoke()
            and are left out.
            "op" for one dict per op type, sorted by time_ms, largest first:
              {'op', 'count': how many nodes of that op, 'time_ms': sum of their mean times
               per invoke, 'total_ms': sum of their total times, 'percent'}.

        Returns [] before allocate_tensors() (no plan yet); entries have invokes 0 before the
        first invoke().

        Raises:
          RuntimeError: if profiling is off (turn it on with profile(True) before invoke()).
          ValueError: if `by` is neither "node" nor "op".
        """
        if by not in ("node", "op"):
            raise ValueError(f'by should be "node" or "op", got {by!r}')
        with self._session() as native:
            if not lib.lt_interpreter_profiling(native.interp):
                raise RuntimeError(
                    "Profiling is off: call profile(True) before invoke() to record op times.")
            entry = ffi.new("lt_profile_entry *")
            nodes = []
            for i in range(lib.lt_interpreter_profile_count(native.interp)):
                if lib.lt_interpreter_profile_entry(native.interp, i, entry) != lib.LT_OK:
                    raise RuntimeError(native.last_error())
                runs = int(entry.runs)
                total_ms = int(entry.total_ns) / 1e6
                nodes.append({
                    "index": int(entry.node),
                    "op": string(entry.op),
                    "time_ms": total_ms / runs if runs else 0.0,
                    "total_ms": total_ms,
                    "invokes": runs,
                })
        _add_percent(nodes)
        if by == "node":
            return nodes
        ops = {}
        for row in nodes:
            op = ops.setdefault(row["op"], {"op": row["op"], "count": 0, "time_ms": 0.0,
                                            "total_ms": 0.0})
            op["count"] += 1
            op["time_ms"] += row["time_ms"]
            op["total_ms"] += row["total_ms"]
        summary = sorted(ops.values(), key=lambda r: r["time_ms"], reverse=True)
        _add_percent(summary)
        return summary

    # ---- tensor data --------------------------------------------------------------------

    def set_tensor(self, tensor_index, value):
        """Copies `value` into a tensor. Its dtype and shape must equal the tensor's exactly
        (a NumPy array, or anything np.asarray turns into one: a Python float list becomes
        float64 and is refused for a float32 tensor, as in TensorFlow Lite). Any memory
        layout is accepted: non-contiguous arrays, the tensor's dtype in the other byte order
        (converted to native order), even a view of the tensor itself.

        Raises:
          ValueError: on a dtype or shape mismatch, a bad index, a constant tensor, or before
            allocate_tensors().
        """
        native = self._native
        if native is not None and type(tensor_index) is int and type(value) is np.ndarray:
            # Fast path: a tensor set successfully before, since the last allocate; a value
            # of its exact dtype and shape (anything else takes the checks below).
            entry = native.set_cache.get(tensor_index)
            if entry is not None and value.dtype == entry[0] and value.shape == entry[1]:
                with native.lock:
                    if self._native is native and native.set_cache.get(tensor_index) is entry:
                        entry[2][...] = value
                        return
        with self._session() as native:
            tensor = self._checked_index(native, tensor_index)
            info = self._info(native, tensor)
            dtype = _numpy_type_for_data(info, tensor)
            value = np.asarray(value)
            if (value.dtype != np.dtype(dtype) and value.dtype.byteorder not in "=|"
                    and value.dtype.newbyteorder("=") == np.dtype(dtype)):
                # The right type in the other byte order (e.g. '>f4'): the C side copies raw
                # bytes, so convert to native order instead of storing swapped values (or
                # reporting "got float32 but expected float32").
                value = value.astype(dtype)
            if value.dtype != np.dtype(dtype):
                raise ValueError(
                    f"Cannot set tensor: got value of type {value.dtype.name} but expected type "
                    f"{np.dtype(dtype).name} for tensor {tensor} "
                    f"({string(info.name)!r})."
                )
            expected_shape = tuple(info.dims[i] for i in range(info.rank))
            if value.shape != expected_shape:
                raise ValueError(
                    f"Cannot set tensor: dimension mismatch: got shape {value.shape} but "
                    f"expected {expected_shape} for tensor {tensor} ({string(info.name)!r}). "
                    "Call resize_tensor_input() and allocate_tensors() to change an input's "
                    "shape."
                )
            value = np.ascontiguousarray(value)
            if _overlaps_tensor(native, tensor, value):
                # A view of this tensor (or of one sharing its arena memory): the C copy is a
                # memcpy, undefined for overlapping memory, so copy out first.
                value = value.copy()
            if lib.lt_interpreter_set_tensor(native.interp, tensor, ffi.from_buffer(value),
                                             value.nbytes) != lib.LT_OK:
                raise ValueError(f"Cannot set tensor: {native.last_error()}")
            array = native.buffer_array(tensor, value.dtype, expected_shape, value.nbytes)
            if array is not None:
                native.set_cache[tensor] = (value.dtype, expected_shape, array)

    def get_tensor(self, tensor_index, subgraph_index=0):
        """Returns a copy of a tensor's data as a NumPy array."""
        native = self._native
        if native is not None and type(tensor_index) is int and subgraph_index == 0:
            # Fast path: a tensor read successfully before, since the last allocate.
            entry = native.get_cache.get(tensor_index)
            if entry is not None:
                with native.lock:
                    if self._native is native and native.get_cache.get(tensor_index) is entry:
                        return entry.copy()
        _check_subgraph(subgraph_index)
        with self._session() as native:
            tensor = self._checked_index(native, tensor_index)
            info = self._info(native, tensor)
            dtype = _numpy_type_for_data(info, tensor)
            out = np.empty(tuple(info.dims[i] for i in range(info.rank)), dtype=dtype)
            if lib.lt_interpreter_get_tensor(native.interp, tensor, ffi.from_buffer(out),
                                             out.nbytes) != lib.LT_OK:
                raise ValueError(f"Cannot get tensor: {native.last_error()}")
            array = native.buffer_array(tensor, out.dtype, out.shape, out.nbytes)
            if array is not None:
                native.get_cache[tensor] = array
            return out

    def tensor(self, tensor_index):
        """Returns a function that gives a NumPy view of the tensor's current buffer.

        Writing to the view writes the tensor (constant tensors give a read-only view). As in
        TensorFlow Lite, hold the function, not the array: allocate_tensors() and
        resize_tensor_input() raise RuntimeError while such an array (or a slice of one) is
        alive, so a view never shows moved or freed memory. After close(), or once the
        Interpreter is gone, a live view keeps the native memory it shows until it is
        dropped; calling the function then raises ValueError.
        """
        self._checked_index(self._open(), tensor_index)
        index = operator.index(tensor_index)
        return lambda: self._view(index)

    def _view(self, tensor):
        with self._session() as native:
            info = self._info(native, tensor)
            dtype = _numpy_type_for_data(info, tensor)
            shape = tuple(info.dims[i] for i in range(info.rank))
            data = lib.lt_interpreter_tensor_data(native.interp, tensor)
            if data == ffi.NULL:
                if 0 in shape:  # an empty tensor needs no memory: nothing to view
                    return np.empty(shape, dtype=dtype)
                raise ValueError(
                    f"Tensor {tensor} has no data yet. Run allocate_tensors() first.")
            address = int(ffi.cast("uintptr_t", data))
            view = _TensorView(native, address, shape, dtype, readonly=bool(info.is_constant))
            return np.asarray(view)

    # ---- details ------------------------------------------------------------------------

    def get_input_details(self):
        """A list of dicts, one per model input, describing its tensor (see
        get_tensor_details)."""
        with self._session() as native:
            count = lib.lt_interpreter_input_count(native.interp)
            return [self._details(native, lib.lt_interpreter_input_tensor(native.interp, i))
                    for i in range(count)]

    def get_output_details(self):
        """A list of dicts, one per model output (see get_tensor_details)."""
        with self._session() as native:
            count = lib.lt_interpreter_output_count(native.interp)
            return [self._details(native, lib.lt_interpreter_output_tensor(native.interp, i))
                    for i in range(count)]

    def get_tensor_details(self, subgraph_index=0):
        """A list of dicts, one per tensor, with the keys of tf.lite.Interpreter: 'name',
        'index', 'shape' and 'shape_signature' (int32 arrays; -1 marks a dynamic dimension),
        'dtype' (a NumPy type such as np.float32), 'quantization' ((scale, zero_point), or
        (0.0, 0) unless quantized per tensor), 'quantization_parameters' ('scales' float32
        array, 'zero_points' int32 array, 'quantized_dimension', 'block_size') and
        'sparsity_parameters' (always {}: litert reads dense tensors only)."""
        _check_subgraph(subgraph_index)
        with self._session() as native:
            details = []
            for tensor in range(lib.lt_interpreter_tensor_count(native.interp)):
                if self._info(native, tensor).type in _NUMPY_TYPE:
                    details.append(self._details(native, tensor))
            return details

    def _details(self, native, tensor):
        info = self._info(native, tensor)
        shape = np.array([info.dims[i] for i in range(info.rank)], dtype=np.int32)
        if info.signature_rank > 0:
            signature = np.array(
                [info.dims_signature[i] for i in range(info.signature_rank)], dtype=np.int32)
        else:
            signature = shape.copy()
        count = info.quant_count
        scales = np.array([info.quant_scales[i] for i in range(count)], dtype=np.float32)
        zero_points = np.array([info.quant_zero_points[i] for i in range(count)],
                               dtype=np.int32)
        # The single (scale, zero_point) pair only describes per-tensor quantization.
        quantization = (float(scales[0]), int(zero_points[0])) if count == 1 else (0.0, 0)
        return {
            "name": string(info.name),
            "index": tensor,
            "shape": shape,
            "shape_signature": signature,
            "dtype": _NUMPY_TYPE.get(info.type),
            "quantization": quantization,
            "quantization_parameters": {
                "scales": scales,
                "zero_points": zero_points,
                "quantized_dimension": int(info.quant_dimension),
                "block_size": 0,  # block-wise quantization is not read by litert
            },
            "sparsity_parameters": {},
        }

    # ---- signatures ---------------------------------------------------------------------

    def get_signature_list(self):
        """{signature_key: {'inputs': [names], 'outputs': [names]}} for the model's
        SignatureDefs ({} when it has none)."""
        self._open()
        return {key: {"inputs": list(sig["inputs"]), "outputs": list(sig["outputs"])}
                for key, sig in self._signature_defs.items()}

    def get_signature_runner(self, signature_key=None):
        """Returns a callable that runs a SignatureDef: keyword inputs by signature name, a
        dict of outputs by name. signature_key may be None when the model has exactly one."""
        self._open()
        if signature_key is None:
            if len(self._signature_defs) != 1:
                raise ValueError(
                    f"signature_key is None but the model has {len(self._signature_defs)} "
                    "SignatureDefs; None is only allowed when it has exactly 1. Keys: "
                    f"{list(self._signature_defs)}")
            signature_key = next(iter(self._signature_defs))
        return SignatureRunner(self, signature_key)

    # ---- helpers ------------------------------------------------------------------------

    @staticmethod
    def _checked_index(native, tensor_index):
        try:
            tensor = operator.index(tensor_index)
        except TypeError:
            raise ValueError(
                f"tensor index must be an int, got {type(tensor_index).__name__}") from None
        count = lib.lt_interpreter_tensor_count(native.interp)
        if not 0 <= tensor < count:
            raise ValueError(
                f"Invalid tensor index {tensor}: the model has {count} tensors "
                f"(valid indices are 0..{count - 1}).")
        return tensor

    @staticmethod
    def _info(native, tensor):
        info = ffi.new("lt_tensor_info *")
        if lib.lt_interpreter_tensor_info(native.interp, tensor, info) != lib.LT_OK:
            raise ValueError(native.last_error())
        return info

    @staticmethod
    def _input_position(native, tensor):
        count = lib.lt_interpreter_input_count(native.interp)
        inputs = [lib.lt_interpreter_input_tensor(native.interp, i) for i in range(count)]
        if tensor not in inputs:
            raise ValueError(
                f"Tensor {tensor} is not an input of the model; the input tensor indices are "
                f"{inputs}.")
        return inputs.index(tensor)


class SignatureRunner:
    """Runs one SignatureDef of a model; made by Interpreter.get_signature_runner()."""

    def __init__(self, interpreter, signature_key):
        defs = interpreter._signature_defs
        if signature_key not in defs:
            raise ValueError(
                f'Invalid signature_key provided: "{signature_key}". The model has '
                f"{list(defs)}.")
        signature = defs[signature_key]
        if signature["subgraph"] != 0:
            raise ValueError(
                f'SignatureDef "{signature_key}" runs subgraph {signature["subgraph"]}; '
                "litert runs only a model's main subgraph (0).")
        self._interpreter = interpreter
        self._inputs = signature["inputs"]
        self._outputs = signature["outputs"]

    def __call__(self, **kwargs):
        """Runs the signature on keyword inputs (NumPy arrays; an input whose shape differs
        from the current one is resized first) and returns {output_name: array copy}."""
        it = self._interpreter
        if len(kwargs) != len(self._inputs):
            raise ValueError(
                "Invalid number of inputs provided for running a SignatureDef, expected "
                f"{len(self._inputs)} ({list(self._inputs)}) vs provided {len(kwargs)}.")
        values = {}
        for name, value in kwargs.items():
            if name not in self._inputs:
                raise ValueError(
                    f"Invalid input name ({name}) for SignatureDef; inputs are "
                    f"{list(self._inputs)}.")
            values[name] = np.asarray(value)
        with it._session() as native:
            for name, value in values.items():
                index = self._inputs[name]
                if tuple(it._details(native, index)["shape"]) != value.shape:
                    it.resize_tensor_input(index, value.shape)
            if not it._allocated:
                it.allocate_tensors()
            for name, value in values.items():
                it.set_tensor(self._inputs[name], value)
            it.invoke()
            return {name: it.get_tensor(index) for name, index in self._outputs.items()}

    def get_input_details(self):
        """{input_name: details dict} (see Interpreter.get_tensor_details)."""
        with self._interpreter._session() as native:
            return {name: self._interpreter._details(native, index)
                    for name, index in self._inputs.items()}

    def get_output_details(self):
        """{output_name: details dict} (see Interpreter.get_tensor_details)."""
        with self._interpreter._session() as native:
            return {name: self._interpreter._details(native, index)
                    for name, index in self._outputs.items()}


# litert.h's LT_ISA_* 1..6, in order: portable, then the x86-64 ladder, then the ARM one.
ISA_LEVELS = ("portable", "avx2", "avx512", "avx512vnni", "neon", "neondot")


def isa_levels():
    """Names of the instruction-set levels this CPU and build can run, lowest first
    ("portable" always comes first, then this architecture's SIMD levels)."""
    return [name for i, name in enumerate(ISA_LEVELS, start=1) if lib.lt_isa_supported(i)]


def _isa_level(isa):
    if isa is None:
        return 0  # LT_ISA_BEST
    if isa not in ISA_LEVELS:
        raise ValueError(f"isa should be None or one of {', '.join(ISA_LEVELS)}; got {isa!r}")
    return ISA_LEVELS.index(isa) + 1


def _add_percent(rows):
    """Adds each row's share of the summed 'time_ms', in percent (0 when nothing was timed)."""
    total = sum(row["time_ms"] for row in rows)
    for row in rows:
        row["percent"] = 100.0 * row["time_ms"] / total if total > 0 else 0.0


def _as_immutable_bytes(model_content):
    """bytes are used in place; any other bytes-like object is copied once into bytes, since
    the runtime reads constant tensors from this memory for the model's whole life."""
    if isinstance(model_content, bytes):
        return model_content
    try:
        return bytes(memoryview(model_content))
    except TypeError:
        raise TypeError(
            "model_content must be bytes (the contents of a .tflite file), got "
            f"{type(model_content).__name__}") from None


def _read_signature_defs(model):
    """{key: {'inputs': {name: tensor}, 'outputs': {name: tensor}, 'subgraph': int}}. Names
    are sorted, as TensorFlow Lite lists them."""
    defs = {}
    for sig in range(lib.lt_model_signature_count(model)):
        entry = {"subgraph": lib.lt_model_signature_subgraph(model, sig)}
        for is_output, kind in ((0, "inputs"), (1, "outputs")):
            pairs = []
            for i in range(lib.lt_model_signature_io_count(model, sig, is_output)):
                name = string(lib.lt_model_signature_io_name(model, sig, is_output, i))
                pairs.append((name, lib.lt_model_signature_io_tensor(model, sig, is_output, i)))
            entry[kind] = dict(sorted(pairs))
        defs[string(lib.lt_model_signature_key(model, sig))] = entry
    return defs


def _numpy_type_for_data(info, tensor):
    dtype = _NUMPY_TYPE.get(info.type)
    if dtype is None or info.type == lib.LT_STRING:
        raise ValueError(
            f"Tensor {tensor} ({string(info.name)!r}) has element type "
            f"{_type_name(info.type)}, whose data litert cannot exchange with NumPy.")
    return dtype


def _type_name(lt_type):
    names = {getattr(lib, n): n[3:] for n in dir(lib) if n.startswith("LT_")
             and n not in ("LT_OK", "LT_ERROR")}
    return names.get(lt_type, f"type {lt_type}")


def _shape_argument(tensor_size):
    dims = np.asarray(tensor_size)
    if dims.size == 0:
        return []
    if dims.ndim != 1 or dims.dtype.kind not in "iu":
        raise ValueError(
            f"tensor_size must be a sequence of ints (a shape), got {tensor_size!r}")
    if dims.min() < _INT32_MIN or dims.max() > _INT32_MAX:
        raise ValueError(f"tensor_size {tensor_size!r} has dimensions outside int32")
    return [int(d) for d in dims]


def _check_strict_resize(details, dims):
    signature = [int(d) for d in details["shape_signature"]]
    changes_fixed_dim = len(dims) != len(signature) or any(
        s != -1 and s != d for s, d in zip(signature, dims))
    if changes_fixed_dim:
        raise ValueError(
            f"resize_tensor_input(strict=True) only allows changing dimensions that are -1 in "
            f"the shape signature {signature} of tensor {details['index']}; got {list(dims)}.")


def _check_subgraph(subgraph_index):
    if subgraph_index != 0:
        raise ValueError(
            f"subgraph_index {subgraph_index} is not available: litert runs only a model's "
            "main subgraph (0).")


def _ensure_no_live_views(native, call):
    if native.live_views:
        action = "Resizing" if call.startswith("resize") else "Allocating"
        raise RuntimeError(_LIVE_VIEWS_MESSAGE.format(action=action, call=call))


def _overlaps_tensor(native, tensor, value):
    """Whether a C-contiguous array's memory overlaps the tensor's current buffer (of
    value.nbytes bytes: the caller checked dtype and shape)."""
    data = lib.lt_interpreter_tensor_data(native.interp, tensor)
    if data == ffi.NULL or value.nbytes == 0:
        return False
    start = int(ffi.cast("uintptr_t", data))
    address = value.__array_interface__["data"][0]
    return address < start + value.nbytes and start < address + value.nbytes
