package org.litert;

import java.io.File;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/** Runs a TensorFlow Lite flatbuffer model (.tflite) on litert's C runtime.
 *
 *  <p>The API follows TensorFlow Lite's Java {@code Interpreter} and litert's Python
 *  {@code litert.Interpreter}:
 *  <pre>{@code
 *  try (Interpreter interpreter = new Interpreter(modelFile,
 *           new Interpreter.Options().setNumThreads(2))) {
 *    float[][] probabilities = new float[1][10];
 *    interpreter.run(image, probabilities);            // image: float[1][8][8][1]
 *  }
 *  }</pre>
 *
 *  <p>Inputs and outputs may be:
 *  <ul>
 *    <li>Java primitive arrays of any rank (float[], int[], long[], short[], byte[] for int8
 *        and uint8, boolean[]), shaped like the tensor ({@code float[1][10]} for [1, 10]) or
 *        flat with the tensor's element count ({@code float[10]});
 *    <li>a ByteBuffer (direct or not) with exactly the tensor's bytes remaining, in
 *        {@code ByteOrder.nativeOrder()} for types wider than a byte. An input buffer is read
 *        from its position, which does not move; an output buffer is written at its position,
 *        which advances by the bytes written (as TensorFlow Lite does);
 *    <li>a FloatBuffer, IntBuffer, LongBuffer or ShortBuffer with the tensor's element count
 *        remaining (same position rules);
 *    <li>for an input of one element, a boxed scalar (Float, Integer, ...).
 *  </ul>
 *  Unlike TensorFlow Lite's Java API, a Java array of another shape is an error rather than a
 *  silent resize (as in the Python API): call {@link #resizeInput} first to change shapes.
 *  For a tensor with no elements (a batch of 0) any empty array of its rank fits, since an
 *  empty Java array does not keep its inner lengths ({@code new float[0][8][8][1]}).
 *
 *  <p>Errors: IllegalArgumentException for a bad model, index, type, shape or size (and for a
 *  failure of the runtime, with its message); IllegalStateException for any use after
 *  {@link #close()}. Nothing reaches memory before the sizes and types were checked.
 *
 *  <p>Methods are synchronized: one interpreter runs one call at a time (the C runtime allows
 *  no concurrent use of one interpreter); use one interpreter per thread to run in parallel.
 *  The interpreter holds native memory: close it (it is AutoCloseable). */
public final class Interpreter implements AutoCloseable {

  /** Options for building an interpreter. */
  public static final class Options {
    private int numThreads = -1;

    public Options() {}

    /** Threads the kernels may use: 1 runs everything on the calling thread; -1 (the
     *  default) lets the runtime choose. */
    public Options setNumThreads(int numThreads) {
      if (numThreads < 1 && numThreads != -1) {
        throw new IllegalArgumentException("numThreads must be >= 1, or -1 to let the runtime "
            + "choose; got " + numThreads);
      }
      this.numThreads = numThreads;
      return this;
    }

    public int getNumThreads() {
      return numThreads;
    }
  }

  private long handle;
  // The model bytes: the runtime reads its constant tensors from them in place (zero-copy),
  // so they must stay reachable, and unchanged, until close().
  private ByteBuffer modelBuffer;
  private final int inputCount;
  private final int outputCount;
  private final int[] inputTensors;
  private final int[] outputTensors;
  private boolean allocated;
  private Long lastInferenceNanos;
  // Reused native-order buffers that arrays and heap buffers are staged through, per input /
  // output, reallocated when a tensor's size changes.
  private final ByteBuffer[] inputStaging;
  private final ByteBuffer[] outputStaging;

  /** Loads a model from a file (memory-mapped by the runtime) with default options. */
  public Interpreter(File modelFile) {
    this(modelFile, null);
  }

  public Interpreter(File modelFile, Options options) {
    if (modelFile == null) {
      throw new IllegalArgumentException("the model file is null");
    }
    this.handle = NativeBridge.createFromFile(modelFile.getAbsolutePath(), threads(options));
    this.modelBuffer = null;
    this.inputCount = NativeBridge.inputCount(handle);
    this.outputCount = NativeBridge.outputCount(handle);
    this.inputTensors = tensorIndices(true);
    this.outputTensors = tensorIndices(false);
    this.inputStaging = new ByteBuffer[inputCount];
    this.outputStaging = new ByteBuffer[outputCount];
    this.allocated = true; // the bridge allocates at creation
  }

  /** Loads a model held in a ByteBuffer (its bytes from position to limit) with default
   *  options. A direct buffer (for example a MappedByteBuffer) is used in place and must not
   *  change while the interpreter lives; any other buffer is copied once. */
  public Interpreter(ByteBuffer modelBuffer) {
    this(modelBuffer, null);
  }

  public Interpreter(ByteBuffer modelBuffer, Options options) {
    if (modelBuffer == null) {
      throw new IllegalArgumentException("the model buffer is null");
    }
    if (!modelBuffer.hasRemaining()) {
      throw new IllegalArgumentException("the model buffer is empty (nothing between its "
          + "position and limit)");
    }
    ByteBuffer model = modelBuffer;
    if (!model.isDirect()) {
      model = ByteBuffer.allocateDirect(modelBuffer.remaining());
      model.put(modelBuffer.duplicate());
      JavaArrays.clear(model);
    }
    this.handle = NativeBridge.createFromBuffer(model, model.position(), model.remaining(),
        threads(options));
    this.modelBuffer = model;
    this.inputCount = NativeBridge.inputCount(handle);
    this.outputCount = NativeBridge.outputCount(handle);
    this.inputTensors = tensorIndices(true);
    this.outputTensors = tensorIndices(false);
    this.inputStaging = new ByteBuffer[inputCount];
    this.outputStaging = new ByteBuffer[outputCount];
    this.allocated = true;
  }

  private static int threads(Options options) {
    return options == null ? -1 : options.getNumThreads();
  }

  private int[] tensorIndices(boolean inputs) {
    int n = inputs ? inputCount : outputCount;
    int[] indices = new int[n];
    for (int i = 0; i < n; i++) {
      indices[i] = inputs ? NativeBridge.inputTensor(handle, i)
          : NativeBridge.outputTensor(handle, i);
    }
    return indices;
  }

  /** Version of the C runtime. */
  public static String runtimeVersion() {
    return NativeBridge.version();
  }

  // ---- running ---------------------------------------------------------------------------

  /** Runs a model with one input and copies its first output into {@code output} (see the
   *  class comment for the accepted types). */
  public void run(Object input, Object output) {
    Map<Integer, Object> outputs = new HashMap<Integer, Object>();
    outputs.put(0, output);
    runForMultipleInputsOutputs(new Object[] {input}, outputs);
  }

  /** Runs the model: {@code inputs[i]} feeds input i (all inputs are required); each entry
   *  of {@code outputs} maps an output index to where that output is copied (others are not
   *  copied). Allocates tensors first when a resize made that necessary. */
  public synchronized void runForMultipleInputsOutputs(Object[] inputs,
      Map<Integer, ?> outputs) {
    checkOpen();
    if (inputs == null || inputs.length == 0) {
      throw new IllegalArgumentException("inputs must not be null or empty");
    }
    if (inputs.length != inputCount) {
      throw new IllegalArgumentException("the model has " + inputCount + " input(s), got "
          + inputs.length);
    }
    if (outputs == null || outputs.isEmpty()) {
      throw new IllegalArgumentException("outputs must not be null or empty");
    }
    // Keys are checked as Objects: a raw Map (or one filled through unchecked casts) may hold
    // keys of other types, which would otherwise fail later with a ClassCastException.
    for (Map.Entry<?, ?> entry : outputs.entrySet()) {
      Object key = entry.getKey();
      if (key != null && !(key instanceof Integer)) {
        throw new IllegalArgumentException("output keys must be Integer output indices, got a "
            + key.getClass().getName() + " (" + key + ")");
      }
      Integer index = (Integer) key;
      if (index == null || index < 0 || index >= outputCount) {
        throw new IllegalArgumentException("output index " + index + " out of range (the "
            + "model has " + outputCount + " output(s))");
      }
      if (entry.getValue() == null) {
        throw new IllegalArgumentException("output " + index + " is null");
      }
    }
    if (!allocated) {
      allocateTensors();
    }
    // Check every destination before anything runs, so a wrong output fails fast.
    for (Map.Entry<Integer, ?> entry : outputs.entrySet()) {
      checkOutput(entry.getKey(), entry.getValue());
    }
    for (int i = 0; i < inputCount; i++) {
      copyInput(i, inputs[i]);
    }
    long start = System.nanoTime();
    NativeBridge.invoke(handle);
    lastInferenceNanos = System.nanoTime() - start;
    for (Map.Entry<Integer, ?> entry : outputs.entrySet()) {
      copyOutput(entry.getKey(), entry.getValue());
    }
  }

  /** Nanoseconds the last run spent in the runtime's invoke (without copying inputs and
   *  outputs); null before the first run. */
  public synchronized Long getLastNativeInferenceDurationNanoseconds() {
    checkOpen();
    return lastInferenceNanos;
  }

  // ---- tensors and shapes ----------------------------------------------------------------

  public synchronized int getInputTensorCount() {
    checkOpen();
    return inputCount;
  }

  public synchronized int getOutputTensorCount() {
    checkOpen();
    return outputCount;
  }

  public synchronized Tensor getInputTensor(int inputIndex) {
    checkOpen();
    checkIndex(inputIndex, inputCount, "input");
    return new Tensor(this, inputTensors[inputIndex]);
  }

  public synchronized Tensor getOutputTensor(int outputIndex) {
    checkOpen();
    checkIndex(outputIndex, outputCount, "output");
    return new Tensor(this, outputTensors[outputIndex]);
  }

  /** Position of the input whose tensor has this name. */
  public synchronized int getInputIndex(String tensorName) {
    return indexOfName(tensorName, inputTensors, "input");
  }

  /** Position of the output whose tensor has this name. */
  public synchronized int getOutputIndex(String tensorName) {
    return indexOfName(tensorName, outputTensors, "output");
  }

  private int indexOfName(String name, int[] tensors, String role) {
    checkOpen();
    String[] names = new String[tensors.length];
    for (int i = 0; i < tensors.length; i++) {
      names[i] = NativeBridge.tensorName(handle, tensors[i]);
      if (names[i].equals(name)) {
        return i;
      }
    }
    throw new IllegalArgumentException("no " + role + " is named '" + name + "'; the "
        + role + "s are " + Arrays.toString(names));
  }

  /** Changes the shape of input {@code inputIndex} (for example its batch size). Takes
   *  effect at {@link #allocateTensors()}, which the next run calls when needed; a shape the
   *  model cannot take fails there. */
  public synchronized void resizeInput(int inputIndex, int[] dims) {
    checkOpen();
    checkIndex(inputIndex, inputCount, "input");
    if (dims == null) {
      throw new IllegalArgumentException("the new shape is null");
    }
    for (int d : dims) {
      if (d < 0) {
        throw new IllegalArgumentException("the new shape " + Arrays.toString(dims)
            + " has a negative dimension");
      }
    }
    NativeBridge.resizeInput(handle, inputIndex, dims);
    allocated = false;
  }

  /** Infers every tensor's shape and plans memory; needed after a resize (run does it when
   *  needed). Throws IllegalArgumentException when the model cannot take the input shapes. */
  public synchronized void allocateTensors() {
    checkOpen();
    allocated = false;
    NativeBridge.allocate(handle);
    allocated = true;
  }

  // ---- closing ---------------------------------------------------------------------------

  /** Frees the native interpreter. Calling it again does nothing; any other call afterwards
   *  throws IllegalStateException. */
  @Override
  public synchronized void close() {
    if (handle != 0) {
      NativeBridge.destroy(handle);
      handle = 0;
      modelBuffer = null;
      Arrays.fill(inputStaging, null);
      Arrays.fill(outputStaging, null);
    }
  }

  synchronized boolean isClosed() {
    return handle == 0;
  }

  /** The native handle, for Tensor; throws IllegalStateException when closed. */
  synchronized long handle() {
    checkOpen();
    return handle;
  }

  private void checkOpen() {
    if (handle == 0) {
      throw new IllegalStateException("the interpreter is closed");
    }
  }

  private static void checkIndex(int index, int count, String role) {
    if (index < 0 || index >= count) {
      throw new IllegalArgumentException(role + " index " + index + " out of range (the "
          + "model has " + count + " " + role + "(s))");
    }
  }

  static int elementCount(int[] shape) {
    long n = 1;
    for (int d : shape) {
      n *= d;
      if (n > Integer.MAX_VALUE) {
        throw new IllegalStateException("tensor of shape " + Arrays.toString(shape)
            + " has too many elements for Java");
      }
    }
    return (int) n;
  }

  // ---- copying in and out ----------------------------------------------------------------

  /** What the checks of one input or output learned about its tensor. */
  private static final class TensorFacts {
    final int tensor;
    final DataType type;
    final int[] shape;
    final int bytes;
    final String what; // "input 0 ('image', FLOAT32 [1, 8, 8, 1])", for messages

    TensorFacts(long handle, int tensor, String role, int index) {
      this.tensor = tensor;
      this.type = DataType.fromValue(NativeBridge.tensorType(handle, tensor));
      this.shape = NativeBridge.tensorShape(handle, tensor);
      long b = NativeBridge.tensorBytes(handle, tensor);
      if (b > Integer.MAX_VALUE) {
        throw new IllegalStateException(role + " " + index + " holds " + b + " bytes, more "
            + "than a Java buffer can");
      }
      this.bytes = (int) b;
      this.what = role + " " + index + " ('" + NativeBridge.tensorName(handle, tensor) + "', "
          + type + " " + Arrays.toString(shape) + ")";
    }
  }

  private ByteBuffer staging(ByteBuffer[] cache, int index, int bytes) {
    ByteBuffer b = cache[index];
    if (b == null || b.capacity() != bytes) {
      b = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
      cache[index] = b;
    }
    return b;
  }

  private void copyInput(int index, Object value) {
    if (value == null) {
      throw new IllegalArgumentException("input " + index + " is null");
    }
    TensorFacts t = new TensorFacts(handle, inputTensors[index], "input", index);
    if (value instanceof ByteBuffer) {
      ByteBuffer src = (ByteBuffer) value;
      checkByteBuffer(t, src, true);
      if (t.bytes == 0) {
        return;
      }
      if (src.isDirect()) {
        NativeBridge.copyToTensor(handle, t.tensor, src, src.position(), t.bytes);
      } else {
        ByteBuffer stage = staging(inputStaging, index, t.bytes);
        JavaArrays.clear(stage);
        stage.put(src.duplicate());
        NativeBridge.copyToTensor(handle, t.tensor, stage, 0, t.bytes);
      }
      return;
    }
    ByteBuffer stage = staging(inputStaging, index, t.bytes);
    if (value instanceof Buffer) {
      Buffer src = (Buffer) value;
      JavaArrays.Kind kind = checkTypedBuffer(t, src, true);
      JavaArrays.writeBuffer(src, kind, stage);
    } else if (value.getClass().isArray()) {
      JavaArrays.Kind kind = JavaArrays.arrayKind(value);
      int[] dims = checkArray(t, value, kind);
      JavaArrays.write(value, dims, kind, stage, t.what);
    } else {
      JavaArrays.Kind kind = JavaArrays.scalarKind(value);
      if (kind == null) {
        throw new IllegalArgumentException(t.what + ": cannot read a " + value.getClass()
            .getName() + "; pass a " + JavaArrays.javaTypeFor(t.type) + " array or a buffer");
      }
      checkKind(t, kind, "a " + value.getClass().getSimpleName());
      int n = elementCount(t.shape);
      if (n != 1) {
        throw new IllegalArgumentException(t.what + ": a scalar fills only a tensor of one "
            + "element, this one has " + n);
      }
      JavaArrays.writeScalar(value, kind, stage);
    }
    if (t.bytes > 0) {
      NativeBridge.copyToTensor(handle, t.tensor, stage, 0, t.bytes);
    }
  }

  private void checkOutput(int index, Object value) {
    TensorFacts t = new TensorFacts(handle, outputTensors[index], "output", index);
    if (value instanceof ByteBuffer) {
      checkByteBuffer(t, (ByteBuffer) value, false);
    } else if (value instanceof Buffer) {
      checkTypedBuffer(t, (Buffer) value, false);
    } else if (value.getClass().isArray()) {
      checkArray(t, value, JavaArrays.arrayKind(value));
    } else {
      throw new IllegalArgumentException(t.what + ": cannot write into a "
          + value.getClass().getName() + "; pass a " + JavaArrays.javaTypeFor(t.type)
          + " array or a buffer");
    }
  }

  private void copyOutput(int index, Object value) {
    TensorFacts t = new TensorFacts(handle, outputTensors[index], "output", index);
    if (value instanceof ByteBuffer) {
      ByteBuffer dst = (ByteBuffer) value;
      checkByteBuffer(t, dst, false);
      if (dst.isDirect()) {
        if (t.bytes > 0) {
          NativeBridge.copyFromTensor(handle, t.tensor, dst, dst.position(), t.bytes);
        }
        JavaArrays.setPosition(dst, dst.position() + t.bytes);
      } else {
        ByteBuffer stage = staging(outputStaging, index, t.bytes);
        if (t.bytes > 0) {
          NativeBridge.copyFromTensor(handle, t.tensor, stage, 0, t.bytes);
        }
        JavaArrays.clear(stage);
        dst.put(stage);
      }
      return;
    }
    ByteBuffer stage = staging(outputStaging, index, t.bytes);
    if (t.bytes > 0) {
      NativeBridge.copyFromTensor(handle, t.tensor, stage, 0, t.bytes);
    }
    if (value instanceof Buffer) {
      Buffer dst = (Buffer) value;
      JavaArrays.Kind kind = checkTypedBuffer(t, dst, false);
      JavaArrays.readBuffer(stage, kind, dst, elementCount(t.shape));
    } else {
      JavaArrays.Kind kind = JavaArrays.arrayKind(value);
      int[] dims = checkArray(t, value, kind);
      JavaArrays.read(stage, value, dims, kind, t.what);
    }
  }

  /** An input buffer must hold exactly the tensor's bytes; an output buffer at least that
   *  many and be writable. Multi-byte types must be in the platform's byte order, since the
   *  bytes are copied as they are. */
  private static void checkByteBuffer(TensorFacts t, ByteBuffer b, boolean input) {
    int remaining = b.remaining();
    if (input ? remaining != t.bytes : remaining < t.bytes) {
      throw new IllegalArgumentException(t.what + " holds " + t.bytes + " bytes, but the "
          + "ByteBuffer has " + remaining + " remaining"
          + (input ? "" : " (it needs at least that many)"));
    }
    if (!input && b.isReadOnly()) {
      throw new IllegalArgumentException(t.what + ": the output ByteBuffer is read-only");
    }
    if (t.type.byteSize() > 1 && b.order() != ByteOrder.nativeOrder()) {
      throw new IllegalArgumentException(t.what + ": the ByteBuffer is " + b.order()
          + " but the tensor's bytes are in native order (" + ByteOrder.nativeOrder()
          + "); call buffer.order(ByteOrder.nativeOrder())");
    }
  }

  private static JavaArrays.Kind checkTypedBuffer(TensorFacts t, Buffer b, boolean input) {
    JavaArrays.Kind kind = JavaArrays.bufferKind(b);
    if (kind == null) {
      throw new IllegalArgumentException(t.what + ": unsupported buffer type "
          + b.getClass().getName());
    }
    checkKind(t, kind, "a " + kind.javaName + " buffer");
    int n = elementCount(t.shape);
    int remaining = b.remaining();
    if (input ? remaining != n : remaining < n) {
      throw new IllegalArgumentException(t.what + " holds " + n + " elements, but the buffer "
          + "has " + remaining + " remaining");
    }
    if (!input && b.isReadOnly()) {
      throw new IllegalArgumentException(t.what + ": the output buffer is read-only");
    }
    return kind;
  }

  private static void checkKind(TensorFacts t, JavaArrays.Kind kind, String given) {
    if (!JavaArrays.compatible(kind, t.type)) {
      throw new IllegalArgumentException(t.what + ": cannot copy " + t.type + " data to or "
          + "from " + given + "; use " + JavaArrays.javaTypeFor(t.type) + " values or a "
          + "ByteBuffer");
    }
  }

  /** Whether `known` (the shape of an empty array, known up to its first 0) is a prefix of
   *  `shape` that ends in that 0. */
  private static boolean isEmptyPrefix(int[] known, int[] shape) {
    if (known.length == 0 || known.length > shape.length || known[known.length - 1] != 0) {
      return false;
    }
    for (int d = 0; d < known.length; d++) {
      if (known[d] != shape[d]) {
        return false;
      }
    }
    return true;
  }

  /** Checks element type and shape of a Java array against the tensor and returns the
   *  dimensions to walk it with: the tensor's shape, or [elements] for a flat array. */
  private static int[] checkArray(TensorFacts t, Object array, JavaArrays.Kind kind) {
    if (kind == null) {
      throw new IllegalArgumentException(t.what + ": unsupported array type "
          + array.getClass().getSimpleName() + "; pass a " + JavaArrays.javaTypeFor(t.type)
          + " array");
    }
    checkKind(t, kind, "a " + array.getClass().getSimpleName());
    int rank = JavaArrays.rank(array);
    int n = elementCount(t.shape);
    if (rank == 1 && java.lang.reflect.Array.getLength(array) == n) {
      return new int[] {n}; // flat, row-major
    }
    int[] arrayShape = JavaArrays.shape(array);
    if (rank == t.shape.length && n == 0 && isEmptyPrefix(arrayShape, t.shape)) {
      // An empty array (new float[0][8][8][1]) has no rows to show its inner dimensions:
      // its shape is known up to the first 0, which must be where the tensor has its 0.
      return t.shape;
    }
    if (rank != t.shape.length || !Arrays.equals(arrayShape, t.shape)) {
      throw new IllegalArgumentException(t.what + ": the Java array has shape "
          + Arrays.toString(JavaArrays.shape(array)) + "; pass an array of shape "
          + Arrays.toString(t.shape) + " or a flat one of " + n + " elements"
          + (t.what.startsWith("input") ? ", or resizeInput() first" : ""));
    }
    return t.shape;
  }
}
