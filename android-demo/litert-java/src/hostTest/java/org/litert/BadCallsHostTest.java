package org.litert;

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/** Bad calls through the Java API on the host JVM: each must end in an exception of the
 *  documented type (IllegalArgumentException for bad arguments, IllegalStateException after
 *  close) with a message that says what is wrong, or in a defined result, and never crash the
 *  JVM (the program runs under -Xcheck:jni, which also reports misuse of JNI).
 *
 *  <pre>java -Djava.library.path=DIR org.litert.BadCallsHostTest WORKDIR TENSORS CONSTANT</pre>
 *
 *  WORKDIR holds what tests/test_java_bad_calls.py prepared: digits_float32.tflite,
 *  digits_int8.tflite (input [1, 8, 8, 1], output [1, 10]) and multi_io.tflite (x, y float32
 *  [2, 3] with a dynamic batch, k int32 [4]; outputs sum, product, k2); TENSORS is the
 *  float model's tensor count and CONSTANT the index of one of its constants. It writes
 *  what the Python side compares (NaN / Inf runs) to WORKDIR/out; the last line reads
 *  "bad calls host test: N passed, M failed". */
public final class BadCallsHostTest {
  private static File work;
  private static File out;
  // Of digits_float32.tflite, from the Python side: how many tensors, and one constant.
  private static int tensorCount;
  private static int constantTensor;
  private static int passed;
  private static int failed;

  interface Body {
    void run() throws Exception;
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: BadCallsHostTest WORKDIR TENSOR_COUNT CONSTANT_TENSOR");
      System.exit(2);
    }
    work = new File(args[0]);
    tensorCount = Integer.parseInt(args[1]);
    constantTensor = Integer.parseInt(args[2]);
    out = new File(work, "out");
    if (!out.isDirectory() && !out.mkdirs()) {
      throw new IOException("cannot create " + out);
    }
    check("wrong Java array types", BadCallsHostTest::wrongArrayTypes);
    check("wrong Java array shapes", BadCallsHostTest::wrongArrayShapes);
    check("wrong buffer types, sizes and orders", BadCallsHostTest::wrongBuffers);
    check("direct and heap buffers, typed buffers and slices agree",
        BadCallsHostTest::bufferKindsAgree);
    check("null arguments", BadCallsHostTest::nullArguments);
    check("the bridge re-checks what Java checked", BadCallsHostTest::bridgeChecks);
    check("indices out of range", BadCallsHostTest::indicesOutOfRange);
    check("bad shapes, then recovery", BadCallsHostTest::badShapes);
    check("zero-size batches", BadCallsHostTest::zeroSize);
    check("NaN and Inf inputs", BadCallsHostTest::nanAndInf);
    check("bad models and options", BadCallsHostTest::badModels);
    check("every call after close", BadCallsHostTest::afterClose);
    check("close while another thread runs", BadCallsHostTest::closeWhileRunning);
    check("many interpreters opened and closed", BadCallsHostTest::manyInterpreters);
    System.out.println("bad calls host test: " + passed + " passed, " + failed + " failed");
    System.exit(failed == 0 ? 0 : 1);
  }

  private static Interpreter floatModel() {
    return new Interpreter(new File(work, "digits_float32.tflite"));
  }

  private static Interpreter int8Model() {
    return new Interpreter(new File(work, "digits_int8.tflite"));
  }

  private static Interpreter multiModel() {
    return new Interpreter(new File(work, "multi_io.tflite"));
  }

  /** A deterministic image, values in [0, 1). */
  private static float[] pixels() {
    float[] p = new float[64];
    for (int i = 0; i < p.length; i++) {
      p[i] = ((i * 37) % 64) / 64.0f;
    }
    return p;
  }

  private static float[] reference(Interpreter it) {
    float[] probs = new float[10];
    it.run(pixels(), probs);
    return probs;
  }

  // ---- the checks ------------------------------------------------------------------------

  private static void wrongArrayTypes() throws Exception {
    try (Interpreter f32 = floatModel(); Interpreter i8 = int8Model()) {
      float[] probs = new float[10];
      Object[] wrongInputs = {new int[64], new long[64], new short[64], new byte[64],
          new boolean[64], new byte[1][8][8][1]};
      for (Object input : wrongInputs) {
        expectThrows(IllegalArgumentException.class, "cannot copy FLOAT32",
            () -> f32.run(input, probs));
      }
      expectThrows(IllegalArgumentException.class, "unsupported array type double[]; pass a "
          + "float array", () -> f32.run(new double[64], probs));
      expectThrows(IllegalArgumentException.class, "unsupported array type double[][][][]",
          () -> f32.run(new double[1][8][8][1], probs));
      expectThrows(IllegalArgumentException.class, "unsupported array type Float[]",
          () -> f32.run(new Float[64], probs));
      expectThrows(IllegalArgumentException.class, "unsupported array type Object[]",
          () -> f32.run(new Object[] {new float[64]}, probs));
      expectThrows(IllegalArgumentException.class, "unsupported array type String[]",
          () -> f32.run(new String[64], probs));
      expectThrows(IllegalArgumentException.class, "cannot read a java.lang.Double",
          () -> f32.run(1.0, probs));
      expectThrows(IllegalArgumentException.class, "unsupported array type double[]",
          () -> f32.run(pixels(), new double[10]));
      expectThrows(IllegalArgumentException.class, "cannot copy FLOAT32",
          () -> f32.run(pixels(), new int[1][10]));
      expectThrows(IllegalArgumentException.class, "cannot write into a java.lang.Float",
          () -> f32.run(pixels(), 0.0f));
      expectThrows(IllegalArgumentException.class, "cannot copy INT8",
          () -> i8.run(pixels(), new byte[10]));
      expectThrows(IllegalArgumentException.class, "cannot copy INT8",
          () -> i8.run(new byte[64], new float[10]));
      expectThrows(IllegalArgumentException.class, "cannot copy INT8",
          () -> i8.run(new boolean[64], new byte[10]));
      // After all that, both still run.
      expect(Arrays.equals(reference(f32), reference(f32)), "float model still runs");
      byte[] q = new byte[10];
      i8.run(new byte[64], q);
    }
    try (Interpreter multi = multiModel()) {
      Map<Integer, Object> outputs = new HashMap<Integer, Object>();
      outputs.put(2, new int[4]);
      expectThrows(IllegalArgumentException.class, "cannot copy INT32",
          () -> multi.runForMultipleInputsOutputs(
              new Object[] {new float[6], new float[6], new long[4]}, outputs));
      expectThrows(IllegalArgumentException.class, "cannot copy INT32",
          () -> multi.runForMultipleInputsOutputs(
              new Object[] {new float[6], new float[6], new float[4]}, outputs));
      outputs.put(2, new long[4]);
      expectThrows(IllegalArgumentException.class, "cannot copy INT32",
          () -> multi.runForMultipleInputsOutputs(
              new Object[] {new float[6], new float[6], new int[4]}, outputs));
    }
  }

  private static void wrongArrayShapes() throws Exception {
    try (Interpreter f32 = floatModel()) {
      float[] probs = new float[10];
      Object[] wrong = {new float[63], new float[65], new float[0], new float[1][64],
          new float[2][8][8][1], new float[1][8][8][2], new float[1][8][8], new float[8][8],
          new float[1][1][8][8][1], new float[0][8][8][1]};
      for (Object input : wrong) {
        expectThrows(IllegalArgumentException.class, "input 0 ('image', FLOAT32 [1, 8, 8, 1])",
            () -> f32.run(input, probs));
      }
      Object[] wrongOutputs = {new float[9], new float[11], new float[1][11], new float[2][10],
          new float[10][1], new float[1][1][10]};
      for (Object output : wrongOutputs) {
        expectThrows(IllegalArgumentException.class, "output 0 ('probs', FLOAT32 [1, 10])",
            () -> f32.run(pixels(), output));
      }
      float[][][][] ragged = new float[1][8][8][1];
      ragged[0][3] = new float[7][1];
      expectThrows(IllegalArgumentException.class, "ragged", () -> f32.run(ragged, probs));
      float[][][][] holey = new float[1][8][8][1];
      holey[0][5][2] = null;
      expectThrows(IllegalArgumentException.class, "null row", () -> f32.run(holey, probs));
      float[][] raggedOut = new float[1][];
      expectThrows(IllegalArgumentException.class, "has shape [1]",
          () -> f32.run(pixels(), raggedOut));
      // An output array that fails while being filled leaves the interpreter usable.
      expect(reference(f32)[0] == reference(f32)[0], "still runs");
    }
  }

  private static void wrongBuffers() throws Exception {
    try (Interpreter f32 = floatModel(); Interpreter i8 = int8Model()) {
      float[] probs = new float[10];
      int[] sizes = {0, 1, 255, 257, 1024};
      for (int n : sizes) {
        ByteBuffer direct = ByteBuffer.allocateDirect(n).order(ByteOrder.nativeOrder());
        expectThrows(IllegalArgumentException.class, n + " remaining",
            () -> f32.run(direct, probs));
        ByteBuffer heap = ByteBuffer.allocate(n).order(ByteOrder.nativeOrder());
        expectThrows(IllegalArgumentException.class, n + " remaining",
            () -> f32.run(heap, probs));
      }
      ByteBuffer input = ByteBuffer.allocateDirect(256).order(ByteOrder.nativeOrder());
      expectThrows(IllegalArgumentException.class, "39 remaining",
          () -> f32.run(input, ByteBuffer.allocateDirect(39).order(ByteOrder.nativeOrder())));
      expectThrows(IllegalArgumentException.class, "39 remaining",
          () -> f32.run(input, ByteBuffer.allocate(39).order(ByteOrder.nativeOrder())));
      ByteOrder other = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN
          ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
      expectThrows(IllegalArgumentException.class, "native order",
          () -> f32.run(ByteBuffer.allocateDirect(256).order(other), probs));
      expectThrows(IllegalArgumentException.class, "native order",
          () -> f32.run(input, ByteBuffer.allocate(40).order(other)));
      expectThrows(IllegalArgumentException.class, "read-only",
          () -> f32.run(input, ByteBuffer.allocateDirect(40).order(ByteOrder.nativeOrder())
              .asReadOnlyBuffer()));
      expectThrows(IllegalArgumentException.class, "read-only",
          () -> f32.run(input, FloatBuffer.allocate(10).asReadOnlyBuffer()));
      expectThrows(IllegalArgumentException.class, "63 remaining",
          () -> f32.run(FloatBuffer.allocate(63), probs));
      expectThrows(IllegalArgumentException.class, "9 remaining",
          () -> f32.run(input, FloatBuffer.allocate(9)));
      expectThrows(IllegalArgumentException.class, "cannot copy FLOAT32",
          () -> f32.run(IntBuffer.allocate(64), probs));
      expectThrows(IllegalArgumentException.class, "unsupported buffer type",
          () -> f32.run(DoubleBuffer.allocate(64), probs));
      expectThrows(IllegalArgumentException.class, "unsupported buffer type",
          () -> f32.run(CharBuffer.allocate(64), probs));
      expectThrows(IllegalArgumentException.class, "cannot copy INT8",
          () -> i8.run(FloatBuffer.allocate(64), new byte[10]));
      // One-byte types have no byte order: any order works for int8.
      byte[] a = new byte[10];
      byte[] b = new byte[10];
      i8.run(ByteBuffer.allocateDirect(64).order(other), a);
      i8.run(new byte[64], b);
      expect(Arrays.equals(a, b), "int8 through a non-native-order buffer");
      expect(Arrays.equals(reference(f32), reference(f32)), "float model still runs");
    }
  }

  private static void bufferKindsAgree() throws Exception {
    try (Interpreter f32 = floatModel()) {
      float[] expected = reference(f32);
      float[] pixels = pixels();

      ByteBuffer direct = ByteBuffer.allocateDirect(256).order(ByteOrder.nativeOrder());
      direct.asFloatBuffer().put(pixels);
      ByteBuffer heap = ByteBuffer.allocate(256).order(ByteOrder.nativeOrder());
      heap.asFloatBuffer().put(pixels);
      ByteBuffer directOut = ByteBuffer.allocateDirect(48).order(ByteOrder.nativeOrder());
      f32.run(direct, directOut);
      expect(direct.position() == 0, "an input buffer's position does not move");
      expect(directOut.position() == 40, "a larger output buffer advances by 40 bytes, got "
          + directOut.position());
      expect(Arrays.equals(floatsOf(directOut, 0), expected), "direct in, direct out");

      ByteBuffer heapOut = ByteBuffer.allocate(40).order(ByteOrder.nativeOrder());
      f32.run(heap, heapOut);
      expect(Arrays.equals(floatsOf(heapOut, 0), expected), "heap in, heap out");

      // Read-only inputs are fine: only read.
      float[] probs = new float[10];
      f32.run(direct.asReadOnlyBuffer().order(ByteOrder.nativeOrder()), probs);
      expect(Arrays.equals(probs, expected), "read-only direct input");
      f32.run(heap.asReadOnlyBuffer().order(ByteOrder.nativeOrder()), probs);
      expect(Arrays.equals(probs, expected), "read-only heap input");

      // A buffer whose data starts at position 12, with more room behind its limit.
      ByteBuffer offset = ByteBuffer.allocateDirect(300).order(ByteOrder.nativeOrder());
      offset.position(12);
      offset.slice().order(ByteOrder.nativeOrder()).asFloatBuffer().put(pixels);
      offset.limit(12 + 256);
      f32.run(offset, probs);
      expect(Arrays.equals(probs, expected), "direct input at position 12");
      ByteBuffer heapOffset = ByteBuffer.allocate(300).order(ByteOrder.nativeOrder());
      heapOffset.position(20);
      heapOffset.slice().order(ByteOrder.nativeOrder()).asFloatBuffer().put(pixels);
      heapOffset.limit(20 + 256);
      f32.run(heapOffset, probs);
      expect(Arrays.equals(probs, expected), "heap input at position 20");

      // Typed buffers: heap, direct, and views in the other byte order (converted by NIO).
      FloatBuffer heapFloats = FloatBuffer.wrap(pixels);
      FloatBuffer outFloats = FloatBuffer.allocate(10);
      f32.run(heapFloats, outFloats);
      expect(Arrays.equals(outFloats.array(), expected), "FloatBuffer in and out");
      ByteOrder other = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN
          ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
      FloatBuffer swapped = ByteBuffer.allocateDirect(256).order(other).asFloatBuffer();
      swapped.put(pixels);
      swapped.rewind();
      FloatBuffer swappedOut = ByteBuffer.allocateDirect(40).order(other).asFloatBuffer();
      f32.run(swapped, swappedOut);
      float[] got = new float[10];
      swappedOut.rewind();
      swappedOut.get(got);
      expect(Arrays.equals(got, expected), "FloatBuffers in the other byte order");
    }
  }

  private static void nullArguments() throws Exception {
    try (Interpreter f32 = floatModel()) {
      float[] probs = new float[10];
      expectThrows(IllegalArgumentException.class, "input 0 is null", () -> f32.run(null, probs));
      expectThrows(IllegalArgumentException.class, "output 0 is null",
          () -> f32.run(pixels(), null));
      expectThrows(IllegalArgumentException.class, "inputs must not be null",
          () -> f32.runForMultipleInputsOutputs(null, single(probs)));
      expectThrows(IllegalArgumentException.class, "input 0 is null",
          () -> f32.runForMultipleInputsOutputs(new Object[] {null}, single(probs)));
      expectThrows(IllegalArgumentException.class, "outputs must not be null",
          () -> f32.runForMultipleInputsOutputs(new Object[] {pixels()}, null));
      expectThrows(IllegalArgumentException.class, "outputs must not be null",
          () -> f32.runForMultipleInputsOutputs(new Object[] {pixels()},
              new HashMap<Integer, Object>()));
      Map<Integer, Object> nullKey = new HashMap<Integer, Object>();
      nullKey.put(null, probs);
      expectThrows(IllegalArgumentException.class, "output index null",
          () -> f32.runForMultipleInputsOutputs(new Object[] {pixels()}, nullKey));
      @SuppressWarnings("unchecked")
      Map<Integer, Object> stringKey = rawMap("0", probs);
      expectThrows(IllegalArgumentException.class, "output keys must be Integer",
          () -> f32.runForMultipleInputsOutputs(new Object[] {pixels()}, stringKey));
      expectThrows(IllegalArgumentException.class, "null", () -> f32.resizeInput(0, null));
      expectThrows(IllegalArgumentException.class, "no input is named 'null'",
          () -> f32.getInputIndex(null));
      expectThrows(IllegalArgumentException.class, "no output is named 'null'",
          () -> f32.getOutputIndex(null));
      expect(f32.getInputIndex("image") == 0 && f32.getOutputIndex("probs") == 0, "names");
      expect(Arrays.equals(reference(f32), reference(f32)), "still runs");
    }
    expectThrows(IllegalArgumentException.class, "null", () -> new Interpreter((File) null));
    expectThrows(IllegalArgumentException.class, "null",
        () -> new Interpreter((ByteBuffer) null));
    try (Interpreter withNullOptions = new Interpreter(new File(work, "digits_float32.tflite"),
        null)) {
      reference(withNullOptions);
    }
  }

  /** The bridge's own checks, for calls that Interpreter never makes with bad values. */
  private static void bridgeChecks() throws Exception {
    try (Interpreter f32 = floatModel()) {
      long h = f32.handle();
      ByteBuffer direct = ByteBuffer.allocateDirect(256);
      expectThrows(IllegalArgumentException.class, "the buffer is null",
          () -> NativeBridge.copyToTensor(h, 0, null, 0, 256));
      expectThrows(IllegalArgumentException.class, "not a direct ByteBuffer",
          () -> NativeBridge.copyToTensor(h, 0, ByteBuffer.allocate(256), 0, 256));
      expectThrows(IllegalArgumentException.class, "outside the buffer",
          () -> NativeBridge.copyToTensor(h, 0, direct, 1, 256));
      expectThrows(IllegalArgumentException.class, "outside the buffer",
          () -> NativeBridge.copyToTensor(h, 0, direct, -1, 4));
      expectThrows(IllegalArgumentException.class, "outside the buffer",
          () -> NativeBridge.copyFromTensor(h, 16, direct, 0, -40));
      expectThrows(IllegalArgumentException.class, "outside the buffer",
          () -> NativeBridge.copyFromTensor(h, 16, direct, Integer.MAX_VALUE, 40));
      expectThrows(IllegalArgumentException.class, "it holds 256 bytes, got 255",
          () -> NativeBridge.copyToTensor(h, 0, direct, 0, 255));
      expectThrows(IllegalArgumentException.class, "it holds 40 bytes, got 0",
          () -> NativeBridge.copyFromTensor(h, 16, direct, 0, 0));
      int[] badTensors = {-1, tensorCount, Integer.MAX_VALUE, Integer.MIN_VALUE};
      for (int t : badTensors) {
        expectThrows(IllegalArgumentException.class, "out of range",
            () -> NativeBridge.tensorShape(h, t));
        expectThrows(IllegalArgumentException.class, "out of range",
            () -> NativeBridge.copyToTensor(h, t, direct, 0, 256));
        expectThrows(IllegalArgumentException.class, "out of range",
            () -> NativeBridge.tensorName(h, t));
      }
      expect(NativeBridge.inputTensor(h, 5) == -1 && NativeBridge.outputTensor(h, -1) == -1,
          "-1 for inputs and outputs out of range");
      expectThrows(IllegalArgumentException.class, "cannot resize the input",
          () -> NativeBridge.resizeInput(h, 3, new int[] {1, 8, 8, 1}));
      expectThrows(IllegalArgumentException.class, "negative",
          () -> NativeBridge.resizeInput(h, 0, new int[] {1, -8, 8, 1}));
      expectThrows(IllegalArgumentException.class, "too many dimensions",
          () -> NativeBridge.resizeInput(h, 0, new int[65]));
      expectThrows(IllegalArgumentException.class, "null",
          () -> NativeBridge.resizeInput(h, 0, null));
      expectThrows(IllegalArgumentException.class, "null",
          () -> NativeBridge.createFromFile(null, 1));
      expectThrows(IllegalArgumentException.class, "not a direct ByteBuffer",
          () -> NativeBridge.createFromBuffer(ByteBuffer.allocate(64), 0, 64, 1));
      expectThrows(IllegalArgumentException.class, "outside the buffer",
          () -> NativeBridge.createFromBuffer(direct, 200, 100, 1));
      // Writing the constant weights of the model is refused by the runtime.
      final int c = constantTensor;
      long bytes = NativeBridge.tensorBytes(h, c);
      ByteBuffer weights = ByteBuffer.allocateDirect((int) bytes);
      expectThrows(IllegalArgumentException.class, "constant",
          () -> NativeBridge.copyToTensor(h, c, weights, 0, (int) bytes));
      expect(Arrays.equals(reference(f32), reference(f32)), "still runs");
    }
  }

  private static void indicesOutOfRange() throws Exception {
    try (Interpreter f32 = floatModel()) {
      int[] bad = {-1, 1, 2, Integer.MAX_VALUE, Integer.MIN_VALUE};
      for (int i : bad) {
        expectThrows(IllegalArgumentException.class, "input index " + i + " out of range",
            () -> f32.getInputTensor(i));
        expectThrows(IllegalArgumentException.class, "output index " + i + " out of range",
            () -> f32.getOutputTensor(i));
        expectThrows(IllegalArgumentException.class, "input index " + i + " out of range",
            () -> f32.resizeInput(i, new int[] {1, 8, 8, 1}));
        Map<Integer, Object> outputs = new HashMap<Integer, Object>();
        outputs.put(i, new float[10]);
        expectThrows(IllegalArgumentException.class, "output index " + i + " out of range",
            () -> f32.runForMultipleInputsOutputs(new Object[] {pixels()}, outputs));
      }
      expectThrows(IllegalArgumentException.class, "inputs must not be null or empty",
          () -> f32.runForMultipleInputsOutputs(new Object[0], single(new float[10])));
      expectThrows(IllegalArgumentException.class, "has 1 input(s), got 2",
          () -> f32.runForMultipleInputsOutputs(new Object[] {pixels(), pixels()},
              single(new float[10])));
      expect(Arrays.equals(reference(f32), reference(f32)), "still runs");
    }
  }

  private static void badShapes() throws Exception {
    try (Interpreter f32 = floatModel()) {
      float[] expected = reference(f32);
      float[] probs = new float[10];
      expectThrows(IllegalArgumentException.class, "negative",
          () -> f32.resizeInput(0, new int[] {-1, 8, 8, 1}));
      expectThrows(IllegalArgumentException.class, "negative",
          () -> f32.resizeInput(0, new int[] {1, 8, Integer.MIN_VALUE, 1}));
      expectThrows(IllegalArgumentException.class, "rank 9 out of range",
          () -> f32.resizeInput(0, new int[] {1, 1, 1, 1, 1, 1, 1, 1, 1}));
      expectThrows(IllegalArgumentException.class, "too many dimensions",
          () -> f32.resizeInput(0, new int[100]));
      // Refused resizes leave the shape and the plan alone: no allocate needed.
      expect(Arrays.equals(f32.getInputTensor(0).shape(), new int[] {1, 8, 8, 1}), "shape");
      f32.run(pixels(), probs);
      expect(Arrays.equals(probs, expected), "runs after refused resizes");

      // Shapes the model cannot take fail at allocate (or at the run that allocates).
      f32.resizeInput(0, new int[0]);
      expectThrows(IllegalArgumentException.class, "cannot allocate tensors",
          () -> f32.run(new float[1], probs));
      expectThrows(IllegalArgumentException.class, "cannot allocate tensors",
          () -> f32.allocateTensors());
      f32.resizeInput(0, new int[] {Integer.MAX_VALUE, 8, 8, 1});
      expectThrows(IllegalArgumentException.class, "memory cap", () -> f32.allocateTensors());
      expectThrows(IllegalArgumentException.class, "memory cap",
          () -> f32.run(pixels(), probs));
      expectThrows(IllegalStateException.class, "too many elements for Java",
          () -> f32.getInputTensor(0).numElements());
      // 2^67 bytes: refused at the resize itself.
      expectThrows(IllegalArgumentException.class, "invalid size",
          () -> f32.resizeInput(0, new int[] {Integer.MAX_VALUE, Integer.MAX_VALUE, 8, 1}));
      f32.resizeInput(0, new int[] {1, 8, 8, 1});
      f32.run(pixels(), probs);
      expect(Arrays.equals(probs, expected), "runs after failed allocates");
    }
  }

  private static void zeroSize() throws Exception {
    try (Interpreter f32 = floatModel()) {
      f32.resizeInput(0, new int[] {0, 8, 8, 1});
      float[][] probs = new float[0][10];
      f32.run(new float[0][8][8][1], probs);
      expect(Arrays.equals(f32.getOutputTensor(0).shape(), new int[] {0, 10}), "[0, 10]");
      expect(f32.getOutputTensor(0).numBytes() == 0, "0 bytes");
      f32.run(new float[0], new float[0]);
      f32.run(ByteBuffer.allocateDirect(0).order(ByteOrder.nativeOrder()),
          ByteBuffer.allocateDirect(0).order(ByteOrder.nativeOrder()));
      f32.run(ByteBuffer.allocate(0).order(ByteOrder.nativeOrder()), FloatBuffer.allocate(0));
      expectThrows(IllegalArgumentException.class, "has shape [1, 8, 8, 1]; pass an array of "
          + "shape [0, 8, 8, 1]", () -> f32.run(new float[1][8][8][1], new float[0][10]));
      expectThrows(IllegalArgumentException.class, "has shape [1, 10]",
          () -> f32.run(new float[0][8][8][1], new float[1][10]));
      // An empty array cannot show its inner lengths (new float[0][9] and new float[0][10]
      // are the same object to the JVM): any empty array of the right rank fits.
      f32.run(new float[0][8][8][1], new float[0][9]);
      expectThrows(IllegalArgumentException.class, "4 remaining",
          () -> f32.run(ByteBuffer.allocateDirect(4), new float[0]));
      f32.resizeInput(0, new int[] {1, 8, 8, 1});
      reference(f32);
    }
    try (Interpreter multi = multiModel()) {
      multi.resizeInput(0, new int[] {0, 3});
      multi.resizeInput(1, new int[] {0, 3});
      int[] k = {3, -1, 1 << 20, -(1 << 29)};
      Map<Integer, Object> outputs = new HashMap<Integer, Object>();
      float[][] sum = new float[0][3];
      int[] k2 = new int[4];
      outputs.put(0, sum);
      outputs.put(2, k2);
      multi.runForMultipleInputsOutputs(new Object[] {new float[0][3], new float[0][3], k},
          outputs);
      expect(Arrays.equals(k2, new int[] {6, -2, 2 << 20, -(2 << 29)}), "k2 = k + k");
      expect(Arrays.equals(multi.getOutputTensor(1).shape(), new int[] {0, 3}), "product");
    }
  }

  private static void nanAndInf() throws Exception {
    float nan = Float.NaN;
    float inf = Float.POSITIVE_INFINITY;
    try (Interpreter multi = multiModel()) {
      float[][] x = {{nan, inf, -inf}, {1f, inf, 2f}};
      float[][] y = {{1f, -inf, 0f}, {nan, 0f, -inf}};
      float[][] sum = new float[2][3];
      float[][] product = new float[2][3];
      Map<Integer, Object> outputs = new HashMap<Integer, Object>();
      outputs.put(0, sum);
      outputs.put(1, product);
      multi.runForMultipleInputsOutputs(new Object[] {x, y, new int[4]}, outputs);
      // IEEE arithmetic element by element.
      expect(Float.isNaN(sum[0][0]) && Float.isNaN(sum[0][1]) && sum[0][2] == -inf,
          "sums of the first row: " + Arrays.toString(sum[0]));
      expect(Float.isNaN(sum[1][0]) && sum[1][1] == inf && sum[1][2] == -inf,
          "sums of the second row: " + Arrays.toString(sum[1]));
      expect(Float.isNaN(product[0][0]) && product[0][1] == -inf && Float.isNaN(product[0][2]),
          "products of the first row: " + Arrays.toString(product[0]));
      expect(Float.isNaN(product[1][0]) && Float.isNaN(product[1][1])
          && product[1][2] == -inf, "products of the second row: "
          + Arrays.toString(product[1]));
    }
    // The digits model on an image with NaN and Inf pixels: compared with Python.
    try (Interpreter f32 = floatModel()) {
      float[] image = pixels();
      image[3] = nan;
      image[20] = inf;
      image[41] = -inf;
      float[] probs = new float[10];
      f32.run(image, probs);
      writeFloats("nan_inf_image", image);
      writeFloats("nan_inf_probs", probs);
      float[] clean = reference(f32);
      for (float v : clean) {
        expect(!Float.isNaN(v), "finite image gives finite output after a NaN run");
      }
    }
  }

  private static void badModels() throws Exception {
    byte[] model = Files.readAllBytes(new File(work, "digits_float32.tflite").toPath());
    ByteBuffer garbage = ByteBuffer.allocateDirect(1024);
    for (int i = 0; i < 1024; i++) {
      garbage.put((byte) (i * 31));
    }
    garbage.flip();
    expectThrows(IllegalArgumentException.class, "cannot load the model",
        () -> new Interpreter(garbage));
    expectThrows(IllegalArgumentException.class, "cannot load the model",
        () -> new Interpreter(ByteBuffer.wrap(model, 0, 8)));
    expectThrows(IllegalArgumentException.class, "cannot load the model",
        () -> new Interpreter(ByteBuffer.wrap(model, 0, model.length - 1)));
    ByteBuffer atEnd = ByteBuffer.wrap(model);
    atEnd.position(model.length);
    expectThrows(IllegalArgumentException.class, "empty", () -> new Interpreter(atEnd));
    expectThrows(IllegalArgumentException.class, "cannot load the model",
        () -> new Interpreter(work));  // a directory
    expectThrows(IllegalArgumentException.class, "cannot load the model",
        () -> new Interpreter(new File(work, "missing.tflite")));
    for (int n : new int[] {0, -2, Integer.MIN_VALUE}) {
      expectThrows(IllegalArgumentException.class, "numThreads",
          () -> new Interpreter.Options().setNumThreads(n));
    }
    // The model inside a bigger heap buffer, after other bytes: copied, runs.
    ByteBuffer padded = ByteBuffer.allocate(model.length + 100);
    padded.position(37);
    padded.put(model);
    padded.position(37);
    padded.limit(37 + model.length);
    try (Interpreter it = new Interpreter(padded)) {
      // The caller's buffer may change afterwards: the interpreter has its own copy.
      padded.clear();
      padded.put(new byte[model.length + 100]);
      reference(it);
    }
  }

  private static void afterClose() throws Exception {
    Interpreter it = multiModel();
    Tensor input = it.getInputTensor(0);
    Tensor output = it.getOutputTensor(1);
    it.close();
    it.close();
    String closed = "closed";
    Map<Integer, Object> outputs = single(new float[6]);
    Body[] calls = {
        () -> it.run(new float[6], new float[6]),
        () -> it.runForMultipleInputsOutputs(new Object[] {null}, outputs),
        () -> it.runForMultipleInputsOutputs(null, null),
        () -> it.getInputTensor(0),
        () -> it.getOutputTensor(-5),
        () -> it.getInputTensorCount(),
        () -> it.getOutputTensorCount(),
        () -> it.getInputIndex("x"),
        () -> it.getOutputIndex(null),
        () -> it.resizeInput(0, new int[] {1, 3}),
        () -> it.resizeInput(7, null),
        () -> it.allocateTensors(),
        () -> it.getLastNativeInferenceDurationNanoseconds(),
        () -> input.shape(),
        () -> input.shapeSignature(),
        () -> input.dataType(),
        () -> input.numBytes(),
        () -> input.numElements(),
        () -> input.numDimensions(),
        () -> input.name(),
        () -> input.quantizationParams(),
        () -> output.shape(),
        () -> NativeBridge.invoke(0),
        () -> NativeBridge.allocate(0),
        () -> NativeBridge.tensorType(0, 0),
        () -> NativeBridge.copyToTensor(0, 0, ByteBuffer.allocateDirect(4), 0, 4),
        () -> NativeBridge.resizeInput(0, 0, new int[] {1}),
    };
    for (Body call : calls) {
      expectThrows(IllegalStateException.class, closed, call);
    }
    expect(input.index() >= 0, "index() needs no native call");
    expect(input.toString().contains("closed"), "toString of a closed tensor");
    NativeBridge.destroy(0); // destroying the closed handle is a no-op
  }

  private static void closeWhileRunning() throws Exception {
    for (int round = 0; round < 3; round++) {
      final Interpreter it = new Interpreter(new File(work, "digits_float32.tflite"),
          new Interpreter.Options().setNumThreads(2));
      final float[] expected = reference(it);
      final AtomicReference<Throwable> error = new AtomicReference<Throwable>();
      final int[] runs = {0};
      Thread worker = new Thread(() -> {
        float[] probs = new float[10];
        try {
          for (int i = 0; i < 100000; i++) {
            it.run(pixels(), probs);
            if (!Arrays.equals(probs, expected)) {
              throw new AssertionError("wrong result while closing");
            }
            runs[0]++;
          }
        } catch (IllegalStateException e) {
          if (!String.valueOf(e.getMessage()).contains("closed")) {
            error.set(e);
          }
        } catch (Throwable e) {
          error.set(e);
        }
      });
      worker.start();
      Thread.sleep(5 + 10 * round);
      it.close();
      worker.join();
      if (error.get() != null) {
        throw new AssertionError("worker failed: " + error.get(), error.get());
      }
      expect(runs[0] > 0, "the worker ran before the close");
    }
  }

  private static void manyInterpreters() throws Exception {
    ByteBuffer model = ByteBuffer.wrap(
        Files.readAllBytes(new File(work, "multi_io.tflite").toPath()));
    for (int i = 0; i < 50; i++) {
      Interpreter it = new Interpreter(model);
      if (i % 2 == 0) {
        it.resizeInput(0, new int[] {i % 5, 3});
      }
      it.close();
      expectThrows(IllegalStateException.class, "closed", () -> it.allocateTensors());
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  private static Map<Integer, Object> single(Object output) {
    Map<Integer, Object> m = new HashMap<Integer, Object>();
    m.put(0, output);
    return m;
  }

  @SuppressWarnings({"rawtypes", "unchecked"})
  private static Map rawMap(Object key, Object value) {
    Map m = new HashMap();
    m.put(key, value);
    return m;
  }

  private static float[] floatsOf(ByteBuffer b, int position) {
    ByteBuffer d = b.duplicate().order(b.order());
    d.position(position);
    float[] v = new float[10];
    d.asFloatBuffer().get(v);
    return v;
  }

  private static void writeFloats(String name, float[] values) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.nativeOrder());
    b.asFloatBuffer().put(values);
    try (OutputStream o = new FileOutputStream(new File(out, name + ".bin"))) {
      o.write(b.array());
    }
  }

  private static void check(String name, Body body) {
    try {
      body.run();
      passed++;
      System.out.println("ok   " + name);
    } catch (Throwable e) {
      failed++;
      System.out.println("FAIL " + name + ": " + e);
      e.printStackTrace(System.out);
    }
  }

  private static void expect(boolean condition, String what) {
    if (!condition) {
      throw new AssertionError("expected " + what);
    }
  }

  private static void expectThrows(Class<? extends Throwable> type, String fragment, Body body) {
    try {
      body.run();
    } catch (Throwable e) {
      if (!type.isInstance(e)) {
        throw new AssertionError("expected " + type.getSimpleName() + " containing '"
            + fragment + "', got " + e, e);
      }
      String message = String.valueOf(e.getMessage());
      if (!message.contains(fragment)) {
        throw new AssertionError("expected " + type.getSimpleName() + " containing '"
            + fragment + "', got: " + message, e);
      }
      return;
    }
    throw new AssertionError("expected " + type.getSimpleName() + " containing '" + fragment
        + "', but nothing was thrown");
  }
}
