package org.litert;

import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/** Runs the Java API on the host JVM (no Android needed) and records what it computed.
 *
 *  <pre>java -Djava.library.path=DIR org.litert.InterpreterHostTest WORKDIR</pre>  (DIR holds
 *  liblitert_jni.so)
 *
 *  WORKDIR holds what tests/test_java_api.py prepared: the models (digits_float32.tflite,
 *  digits_int8.tflite, multi_io.tflite, garbage.tflite) and inputs (images_f32.bin: float32
 *  [4, 8, 8, 1]; images_i8.bin: the same images quantized to int8; multi_x.bin, multi_y.bin:
 *  float32 [5, 3]; multi_k.bin: int32 [4]), all raw in native byte order. The program writes
 *  each output it computed to WORKDIR/out/NAME.bin and the tensor facts it read to
 *  WORKDIR/out/facts.txt (key=value), which the Python test compares with litert's Python
 *  interpreter on the same models and inputs. The checks that need no reference (exception
 *  types for bad calls, state after close) are made here. Exit status 0 when every check
 *  passed; the last line reads "java host test: N passed, M failed". */
public final class InterpreterHostTest {
  private static File work;
  private static File out;
  private static final List<String> facts = new ArrayList<String>();
  private static int passed;
  private static int failed;

  interface Body {
    void run() throws Exception;
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: InterpreterHostTest WORKDIR");
      System.exit(2);
    }
    work = new File(args[0]);
    out = new File(work, "out");
    if (!out.isDirectory() && !out.mkdirs()) {
      throw new IOException("cannot create " + out);
    }
    fact("runtime.version", Interpreter.runtimeVersion());

    check("float model: File, arrays of the tensor's shape", InterpreterHostTest::floatFromFile);
    check("float model: direct ByteBuffer model, 2 threads, resize to batch 4",
        InterpreterHostTest::floatBatchFromDirectBuffer);
    check("float model: heap ByteBuffer model, flat array in, FloatBuffer out",
        InterpreterHostTest::floatFlatFromHeapBuffer);
    check("float model: heap ByteBuffers in and out", InterpreterHostTest::floatHeapBuffers);
    check("int8 model: byte arrays, quantization parameters", InterpreterHostTest::int8Arrays);
    check("int8 model: 2 threads, batch 3, direct ByteBuffers",
        InterpreterHostTest::int8BatchBuffers);
    check("multi-input/output model", InterpreterHostTest::multiInputOutput);
    check("bad models are refused with IllegalArgumentException",
        InterpreterHostTest::badModels);
    check("bad inputs and outputs raise IllegalArgumentException",
        InterpreterHostTest::badRunArguments);
    check("a shape the model cannot take fails at allocate, then a good one works",
        InterpreterHostTest::badResize);
    check("use after close raises IllegalStateException", InterpreterHostTest::afterClose);
    check("one interpreter shared by two threads; one per thread",
        InterpreterHostTest::threads);

    try (PrintWriter w = new PrintWriter(new File(out, "facts.txt"), "UTF-8")) {
      for (String line : facts) {
        w.println(line);
      }
    }
    System.out.println("java host test: " + passed + " passed, " + failed + " failed");
    System.exit(failed == 0 ? 0 : 1);
  }

  // ---- the checks ------------------------------------------------------------------------

  private static void floatFromFile() throws Exception {
    try (Interpreter it = new Interpreter(new File(work, "digits_float32.tflite"))) {
      expect(it.getLastNativeInferenceDurationNanoseconds() == null, "no duration before run");
      describe("float", it);
      float[][][][] image = new float[1][8][8][1];
      FloatBuffer all = read("images_f32.bin").asFloatBuffer();
      for (int y = 0; y < 8; y++) {
        for (int x = 0; x < 8; x++) {
          image[0][y][x][0] = all.get(y * 8 + x);
        }
      }
      float[][] probs = new float[1][10];
      it.run(image, probs);
      Long nanos = it.getLastNativeInferenceDurationNanoseconds();
      expect(nanos != null && nanos > 0, "a positive inference duration, got " + nanos);
      writeFloats("float_single", probs[0]);
      // The same input again as a rank-4 array into a 1-D output of 10: flat outputs work too.
      float[] flat = new float[10];
      it.run(image, flat);
      expect(Arrays.equals(flat, probs[0]), "flat output equals the shaped one");
    }
  }

  private static void floatBatchFromDirectBuffer() throws Exception {
    ByteBuffer model = read("digits_float32.tflite");
    try (Interpreter it = new Interpreter(model, new Interpreter.Options().setNumThreads(2))) {
      it.resizeInput(0, new int[] {4, 8, 8, 1});
      it.allocateTensors();
      expect(Arrays.equals(it.getInputTensor(0).shape(), new int[] {4, 8, 8, 1}),
          "input shape after resize");
      expect(Arrays.equals(it.getOutputTensor(0).shape(), new int[] {4, 10}),
          "output shape after allocate");
      expect(it.getOutputTensor(0).numBytes() == 160, "output bytes after allocate");
      ByteBuffer images = read("images_f32.bin"); // direct, native order, 4 images
      float[][] probs = new float[4][10];
      it.run(images, probs);
      expect(images.position() == 0, "an input buffer's position does not move");
      float[] flat = new float[40];
      for (int i = 0; i < 4; i++) {
        System.arraycopy(probs[i], 0, flat, i * 10, 10);
      }
      writeFloats("float_batch4_threads2", flat);
    }
  }

  private static void floatFlatFromHeapBuffer() throws Exception {
    ByteBuffer direct = read("digits_float32.tflite");
    ByteBuffer heap = ByteBuffer.allocate(direct.remaining());
    heap.put(direct.duplicate());
    heap.flip();
    try (Interpreter it = new Interpreter(heap, new Interpreter.Options().setNumThreads(1))) {
      float[] pixels = new float[64];
      read("images_f32.bin").asFloatBuffer().get(pixels); // image 0
      FloatBuffer probs = FloatBuffer.allocate(10);
      it.run(pixels, probs);
      expect(probs.position() == 10, "an output buffer's position advances");
      writeFloats("float_flat", probs.array());
    }
  }

  private static void floatHeapBuffers() throws Exception {
    try (Interpreter it = new Interpreter(new File(work, "digits_float32.tflite"))) {
      ByteBuffer direct = read("images_f32.bin");
      ByteBuffer image = ByteBuffer.allocate(256).order(ByteOrder.nativeOrder());
      ByteBuffer first = direct.duplicate();
      first.limit(256);
      image.put(first);
      image.flip();
      ByteBuffer probs = ByteBuffer.allocate(40).order(ByteOrder.nativeOrder());
      it.run(image, probs);
      expect(probs.position() == 40 && image.position() == 0, "buffer positions");
      probs.flip();
      float[] values = new float[10];
      probs.asFloatBuffer().get(values);
      writeFloats("float_heap_buffers", values);
    }
  }

  private static void int8Arrays() throws Exception {
    try (Interpreter it = new Interpreter(new File(work, "digits_int8.tflite"))) {
      describe("int8", it);
      byte[][][][] image = new byte[1][8][8][1];
      ByteBuffer all = read("images_i8.bin");
      for (int y = 0; y < 8; y++) {
        for (int x = 0; x < 8; x++) {
          image[0][y][x][0] = all.get(y * 8 + x);
        }
      }
      byte[][] scores = new byte[1][10];
      it.run(image, scores);
      writeBytes("int8_single", scores[0]);
    }
  }

  private static void int8BatchBuffers() throws Exception {
    try (Interpreter it = new Interpreter(read("digits_int8.tflite"),
        new Interpreter.Options().setNumThreads(2))) {
      it.resizeInput(0, new int[] {3, 8, 8, 1}); // run allocates
      ByteBuffer images = read("images_i8.bin");
      images.limit(3 * 64);
      ByteBuffer scores = ByteBuffer.allocateDirect(30);
      it.run(images, scores);
      expect(scores.position() == 30, "direct output buffer position advances");
      byte[] values = new byte[30];
      scores.flip();
      scores.get(values);
      writeBytes("int8_batch3_threads2", values);
    }
  }

  private static void multiInputOutput() throws Exception {
    try (Interpreter it = new Interpreter(new File(work, "multi_io.tflite"))) {
      describe("multi", it);
      expect(it.getInputIndex("y") == 1 && it.getOutputIndex("k2") == 2, "index by name");
      expectThrows(IllegalArgumentException.class, "no input is named",
          () -> it.getInputIndex("nope"));
      float[] xs = floats("multi_x.bin");
      float[] ys = floats("multi_y.bin");
      int[] k = new int[4];
      read("multi_k.bin").asIntBuffer().get(k);

      float[][] x = new float[2][3];
      for (int r = 0; r < 2; r++) {
        System.arraycopy(xs, r * 3, x[r], 0, 3);
      }
      FloatBuffer y = FloatBuffer.wrap(Arrays.copyOf(ys, 6));
      float[][] sum = new float[2][3];
      int[] k2 = new int[4];
      Map<Integer, Object> outputs = new HashMap<Integer, Object>();
      outputs.put(0, sum);
      outputs.put(2, k2); // output 1 is not asked for, so not copied
      it.runForMultipleInputsOutputs(new Object[] {x, y, k}, outputs);
      writeFloats("multi_sum", concat(sum));
      writeInts("multi_k2", k2);

      // Batch 5 on the two float inputs (their signature is [-1, 3]); all three outputs.
      it.resizeInput(0, new int[] {5, 3});
      it.resizeInput(1, new int[] {5, 3});
      float[][] product = new float[5][3];
      float[] sum5 = new float[15];
      ByteBuffer k2Buffer = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
      outputs.clear();
      outputs.put(0, sum5);
      outputs.put(1, product);
      outputs.put(2, k2Buffer);
      it.runForMultipleInputsOutputs(new Object[] {xs, read("multi_y.bin"), k}, outputs);
      expect(Arrays.equals(it.getOutputTensor(1).shape(), new int[] {5, 3}),
          "output shape follows the resize");
      writeFloats("multi_sum5", sum5);
      writeFloats("multi_product5", concat(product));
      k2Buffer.flip();
      int[] k2Again = new int[4];
      k2Buffer.asIntBuffer().get(k2Again);
      expect(Arrays.equals(k2Again, k2), "int32 output through a ByteBuffer");
    }
  }

  private static void badModels() throws Exception {
    expectThrows(IllegalArgumentException.class, "cannot load the model",
        () -> new Interpreter(new File(work, "garbage.tflite")).close());
    expectThrows(IllegalArgumentException.class, "cannot load the model",
        () -> new Interpreter(new File(work, "does-not-exist.tflite")).close());
    ByteBuffer model = read("digits_float32.tflite");
    ByteBuffer truncated = model.duplicate();
    truncated.limit(model.remaining() / 2);
    expectThrows(IllegalArgumentException.class, "cannot load the model",
        () -> new Interpreter(truncated).close());
    expectThrows(IllegalArgumentException.class, "empty",
        () -> new Interpreter(ByteBuffer.allocateDirect(0)).close());
    expectThrows(IllegalArgumentException.class, "null",
        () -> new Interpreter((ByteBuffer) null).close());
    expectThrows(IllegalArgumentException.class, "numThreads",
        () -> new Interpreter.Options().setNumThreads(0));
  }

  private static void badRunArguments() throws Exception {
    try (Interpreter f32 = new Interpreter(new File(work, "digits_float32.tflite"));
        Interpreter i8 = new Interpreter(new File(work, "digits_int8.tflite"))) {
      float[][] probs = new float[1][10];
      expectThrows(IllegalArgumentException.class, "cannot copy INT8",
          () -> i8.run(new float[1][8][8][1], new byte[1][10]));
      expectThrows(IllegalArgumentException.class, "cannot copy FLOAT32",
          () -> f32.run(new byte[1][8][8][1], probs));
      expectThrows(IllegalArgumentException.class, "cannot copy FLOAT32",
          () -> f32.run(new int[64], probs));
      expectThrows(IllegalArgumentException.class, "cannot copy FLOAT32",
          () -> f32.run(new float[1][8][8][1], new int[1][10]));
      expectThrows(IllegalArgumentException.class, "has shape [1, 8, 8]",
          () -> f32.run(new float[1][8][8], probs));
      expectThrows(IllegalArgumentException.class, "resizeInput",
          () -> f32.run(new float[2][8][8][1], probs));
      expectThrows(IllegalArgumentException.class, "flat one of 64",
          () -> f32.run(new float[63], probs));
      float[][][][] ragged = new float[1][8][8][1];
      ragged[0][3] = new float[7][1];
      expectThrows(IllegalArgumentException.class, "ragged", () -> f32.run(ragged, probs));
      float[][][][] holey = new float[1][8][8][1];
      holey[0][5][2] = null;
      expectThrows(IllegalArgumentException.class, "null row", () -> f32.run(holey, probs));
      expectThrows(IllegalArgumentException.class, "255 remaining",
          () -> f32.run(ByteBuffer.allocateDirect(255).order(ByteOrder.nativeOrder()), probs));
      expectThrows(IllegalArgumentException.class, "257 remaining",
          () -> f32.run(ByteBuffer.allocate(257).order(ByteOrder.nativeOrder()), probs));
      ByteOrder other = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN
          ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
      expectThrows(IllegalArgumentException.class, "native order",
          () -> f32.run(ByteBuffer.allocateDirect(256).order(other), probs));
      expectThrows(IllegalArgumentException.class, "9 remaining",
          () -> f32.run(new float[64], FloatBuffer.allocate(9)));
      expectThrows(IllegalArgumentException.class, "has shape [1, 9]",
          () -> f32.run(new float[64], new float[1][9]));
      expectThrows(IllegalArgumentException.class, "read-only",
          () -> f32.run(new float[64], ByteBuffer.allocate(40).asReadOnlyBuffer()));
      expectThrows(IllegalArgumentException.class, "cannot read a java.lang.String",
          () -> f32.run("seven", probs));
      expectThrows(IllegalArgumentException.class, "a scalar fills only",
          () -> f32.run(1.0f, probs));
      expectThrows(IllegalArgumentException.class, "cannot write into",
          () -> f32.run(new float[64], 3.0f));
      expectThrows(IllegalArgumentException.class, "input 0 is null",
          () -> f32.run(null, probs));
      expectThrows(IllegalArgumentException.class, "output 0 is null",
          () -> f32.run(new float[64], null));
      expectThrows(IllegalArgumentException.class, "has 1 input(s), got 2",
          () -> f32.runForMultipleInputsOutputs(new Object[] {new float[64], new float[64]},
              singleOutput(probs)));
      Map<Integer, Object> outOfRange = new HashMap<Integer, Object>();
      outOfRange.put(1, probs);
      expectThrows(IllegalArgumentException.class, "output index 1 out of range",
          () -> f32.runForMultipleInputsOutputs(new Object[] {new float[64]}, outOfRange));
      expectThrows(IllegalArgumentException.class, "must not be null or empty",
          () -> f32.runForMultipleInputsOutputs(new Object[] {new float[64]},
              new HashMap<Integer, Object>()));
      expectThrows(IllegalArgumentException.class, "input index 1 out of range",
          () -> f32.getInputTensor(1));
      expectThrows(IllegalArgumentException.class, "output index -1 out of range",
          () -> f32.getOutputTensor(-1));
      expectThrows(IllegalArgumentException.class, "negative",
          () -> f32.resizeInput(0, new int[] {-1, 8, 8, 1}));
      expectThrows(IllegalArgumentException.class, "input index 2 out of range",
          () -> f32.resizeInput(2, new int[] {1}));
      expectThrows(IllegalArgumentException.class, "null",
          () -> f32.resizeInput(0, null));
      expectThrows(IllegalArgumentException.class, "",
          () -> f32.resizeInput(0, new int[100]));
      // After all those, the interpreter still works (nothing was half-done).
      f32.resizeInput(0, new int[] {1, 8, 8, 1});
      float[] pixels = new float[64];
      read("images_f32.bin").asFloatBuffer().get(pixels);
      f32.run(pixels, probs);
      writeFloats("float_after_errors", probs[0]);
    }
  }

  private static void badResize() throws Exception {
    try (Interpreter it = new Interpreter(new File(work, "digits_float32.tflite"))) {
      // 7x7 images give a 3x3x32 flatten (288 values) where the Dense layer needs 512.
      it.resizeInput(0, new int[] {1, 7, 7, 1});
      expectThrows(IllegalArgumentException.class, "cannot allocate tensors",
          () -> it.allocateTensors());
      expectThrows(IllegalArgumentException.class, "cannot allocate tensors",
          () -> it.run(new float[1][7][7][1], new float[1][10]));
      it.resizeInput(0, new int[] {2, 8, 8, 1});
      float[] pixels = new float[128];
      read("images_f32.bin").asFloatBuffer().get(pixels);
      float[][] probs = new float[2][10];
      it.run(pixels, probs);
      writeFloats("float_after_bad_resize", concat(probs));
    }
  }

  private static void afterClose() throws Exception {
    Interpreter it = new Interpreter(new File(work, "digits_float32.tflite"));
    Tensor input = it.getInputTensor(0);
    it.run(new float[64], new float[10]);
    it.close();
    it.close(); // closing twice is fine
    String closed = "closed";
    expectThrows(IllegalStateException.class, closed,
        () -> it.run(new float[64], new float[10]));
    expectThrows(IllegalStateException.class, closed,
        () -> it.runForMultipleInputsOutputs(new Object[] {new float[64]},
            singleOutput(new float[10])));
    expectThrows(IllegalStateException.class, closed, () -> it.getInputTensor(0));
    expectThrows(IllegalStateException.class, closed, () -> it.getOutputTensor(0));
    expectThrows(IllegalStateException.class, closed, () -> it.getInputTensorCount());
    expectThrows(IllegalStateException.class, closed, () -> it.getOutputTensorCount());
    expectThrows(IllegalStateException.class, closed, () -> it.getInputIndex("image"));
    expectThrows(IllegalStateException.class, closed,
        () -> it.resizeInput(0, new int[] {1, 8, 8, 1}));
    expectThrows(IllegalStateException.class, closed, () -> it.allocateTensors());
    expectThrows(IllegalStateException.class, closed,
        () -> it.getLastNativeInferenceDurationNanoseconds());
    expectThrows(IllegalStateException.class, closed, () -> input.shape());
    expectThrows(IllegalStateException.class, closed, () -> input.dataType());
    expectThrows(IllegalStateException.class, closed, () -> input.numBytes());
    expectThrows(IllegalStateException.class, closed, () -> input.quantizationParams());
    expect(input.toString().contains("closed"), "toString of a closed tensor");
    // Closed handles reach the bridge only through bugs; it refuses them too.
    expectThrows(IllegalStateException.class, closed, () -> NativeBridge.invoke(0));
    expectThrows(IllegalStateException.class, closed, () -> NativeBridge.tensorShape(0, 0));
  }

  private static void threads() throws Exception {
    final float[] pixels = new float[64];
    read("images_f32.bin").asFloatBuffer().get(pixels);
    final float[] expected = new float[10];
    try (Interpreter shared = new Interpreter(new File(work, "digits_float32.tflite"),
        new Interpreter.Options().setNumThreads(2))) {
      shared.run(pixels, expected);
      final AtomicReference<Throwable> error = new AtomicReference<Throwable>();
      Thread[] workers = new Thread[4];
      for (int t = 0; t < workers.length; t++) {
        final boolean own = t % 2 == 1;
        workers[t] = new Thread(() -> {
          try {
            Interpreter mine = own ? new Interpreter(new File(work, "digits_float32.tflite"))
                : shared;
            try {
              float[] probs = new float[10];
              for (int i = 0; i < 200; i++) {
                mine.run(pixels, probs);
                if (!Arrays.equals(probs, expected)) {
                  throw new AssertionError("different result in a thread: "
                      + Arrays.toString(probs));
                }
              }
            } finally {
              if (own) {
                mine.close();
              }
            }
          } catch (Throwable e) {
            error.compareAndSet(null, e);
          }
        });
        workers[t].start();
      }
      for (Thread w : workers) {
        w.join();
      }
      if (error.get() != null) {
        throw new AssertionError("thread failed: " + error.get(), error.get());
      }
    }
  }

  // ---- facts for the Python side -----------------------------------------------------------

  private static void describe(String prefix, Interpreter it) {
    fact(prefix + ".inputs", it.getInputTensorCount());
    fact(prefix + ".outputs", it.getOutputTensorCount());
    for (int i = 0; i < it.getInputTensorCount(); i++) {
      describeTensor(prefix + ".input" + i, it.getInputTensor(i));
    }
    for (int i = 0; i < it.getOutputTensorCount(); i++) {
      describeTensor(prefix + ".output" + i, it.getOutputTensor(i));
    }
  }

  private static void describeTensor(String key, Tensor t) {
    fact(key + ".name", t.name());
    fact(key + ".index", t.index());
    fact(key + ".type", t.dataType());
    fact(key + ".shape", join(t.shape()));
    fact(key + ".signature", join(t.shapeSignature()));
    fact(key + ".bytes", t.numBytes());
    fact(key + ".elements", t.numElements());
    fact(key + ".scale", t.quantizationParams().getScale());
    fact(key + ".zero_point", t.quantizationParams().getZeroPoint());
  }

  private static void fact(String key, Object value) {
    facts.add(key + "=" + value);
  }

  private static String join(int[] values) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < values.length; i++) {
      s.append(i == 0 ? "" : ",").append(values[i]);
    }
    return s.toString();
  }

  // ---- files ---------------------------------------------------------------------------------

  /** A file's bytes in a direct, native-order ByteBuffer. */
  private static ByteBuffer read(String name) throws IOException {
    File f = new File(work, name);
    byte[] data = new byte[(int) f.length()];
    try (InputStream in = new FileInputStream(f)) {
      int off = 0;
      while (off < data.length) {
        int n = in.read(data, off, data.length - off);
        if (n < 0) {
          throw new IOException("short read of " + f);
        }
        off += n;
      }
    }
    ByteBuffer b = ByteBuffer.allocateDirect(data.length).order(ByteOrder.nativeOrder());
    b.put(data);
    b.flip();
    return b;
  }

  private static float[] floats(String name) throws IOException {
    FloatBuffer f = read(name).asFloatBuffer();
    float[] values = new float[f.remaining()];
    f.get(values);
    return values;
  }

  private static void writeBytes(String name, byte[] data) throws IOException {
    try (OutputStream o = new FileOutputStream(new File(out, name + ".bin"))) {
      o.write(data);
    }
  }

  private static void writeFloats(String name, float[] values) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.nativeOrder());
    b.asFloatBuffer().put(values);
    writeBytes(name, b.array());
  }

  private static void writeInts(String name, int[] values) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.nativeOrder());
    b.asIntBuffer().put(values);
    writeBytes(name, b.array());
  }

  private static float[] concat(float[][] rows) {
    int n = 0;
    for (float[] r : rows) {
      n += r.length;
    }
    float[] flat = new float[n];
    int off = 0;
    for (float[] r : rows) {
      System.arraycopy(r, 0, flat, off, r.length);
      off += r.length;
    }
    return flat;
  }

  private static Map<Integer, Object> singleOutput(Object output) {
    Map<Integer, Object> m = new HashMap<Integer, Object>();
    m.put(0, output);
    return m;
  }

  // ---- a minimal harness ---------------------------------------------------------------------

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
