package org.litert.demo;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The app's Android-free logic on the host JVM: the bundled samples through both models at
 *  1, 2 and 4 threads (DigitClassifier over org.litert), and the drawing preprocessor on
 *  synthetic strokes.
 *
 *  <pre>java -Djava.library.path=DIR org.litert.demo.AppLogicHostTest ASSETS_DIR</pre>
 *
 *  Prints one line per check ("ok ..." / "FAIL ...") and the preprocessed drawings' inputs as
 *  "input NAME v0 ... v63" lines, then "app host test: N passed, M failed"; exits non-zero when
 *  a check failed. */
public final class AppLogicHostTest {
  private static int passed;
  private static int failed;

  public static void main(String[] args) throws Exception {
    File assets = new File(args[0]);
    List<SampleDigits.Sample> samples;
    try (InputStream in = new FileInputStream(new File(assets, "digits_samples.csv"))) {
      samples = SampleDigits.read(in);
    }
    check(samples.size() == 10, "ten samples, got " + samples.size());

    for (String model : new String[] {"digits_float32.tflite", "digits_int8.tflite"}) {
      ByteBuffer bytes = read(new File(assets, model));
      for (int threads : new int[] {1, 2, 4}) {
        try (DigitClassifier classifier = new DigitClassifier(bytes, threads)) {
          for (SampleDigits.Sample s : samples) {
            DigitClassifier.Result r = classifier.classify(s.pixels);
            check(r.digits[0] == s.label && r.probabilities[0] > 0.5f
                && r.probabilities[0] >= r.probabilities[1]
                && r.probabilities[1] >= r.probabilities[2] && r.inferenceNanos > 0,
                model + " " + threads + " thread(s): sample " + s.label + " -> "
                    + Arrays.toString(r.digits) + " " + Arrays.toString(r.probabilities));
          }
        }
      }
    }

    // Drawings: a 0, a 1 and a 7 in screen pixels, drawn small and large, here and there.
    ByteBuffer floatModel = read(new File(assets, "digits_float32.tflite"));
    try (DigitClassifier classifier = new DigitClassifier(floatModel, 1)) {
      for (int digit : new int[] {0, 1, 7}) {
        List<float[]> small = strokes(digit, 1f, 0f);
        List<float[]> large = strokes(digit, 6f, 300f);
        float[] a = DigitPreprocessor.toInput(small);
        float[] b = DigitPreprocessor.toInput(large);
        check(Arrays.equals(a, b), "drawing " + digit + ": input independent of size and place");
        System.out.println("input drawing" + digit + " " + join(a));
        DigitClassifier.Result r = classifier.classify(a);
        check(r.digits[0] == digit, "drawing of a " + digit + " -> " + Arrays.toString(r.digits)
            + " " + Arrays.toString(r.probabilities));
      }
    }
    float[] empty = DigitPreprocessor.toInput(new ArrayList<float[]>());
    check(Arrays.equals(empty, new float[64]), "nothing drawn gives zeros");
    List<float[]> dot = new ArrayList<float[]>();
    dot.add(new float[] {10f, 10f});
    float[] dotInput = DigitPreprocessor.toInput(dot);
    float sum = 0;
    for (float v : dotInput) {
      sum += v;
    }
    check(sum > 0, "a single tap draws a dot");

    System.out.println("app host test: " + passed + " passed, " + failed + " failed");
    System.exit(failed == 0 ? 0 : 1);
  }

  /** Strokes of a digit in a 100x140 box, scaled and shifted. */
  private static List<float[]> strokes(int digit, float scale, float shift) {
    List<float[]> raw = new ArrayList<float[]>();
    switch (digit) {
      case 0: {
        float[] ellipse = new float[2 * 41];
        for (int i = 0; i <= 40; i++) {
          double t = 2 * Math.PI * i / 40;
          ellipse[2 * i] = (float) (50 + 40 * Math.sin(t));
          ellipse[2 * i + 1] = (float) (70 - 65 * Math.cos(t));
        }
        raw.add(ellipse);
        break;
      }
      case 1:
        raw.add(new float[] {35, 25, 55, 5, 55, 135});
        break;
      case 7: // with the crossbar most of the data set's writers drew
        raw.add(new float[] {15, 5, 90, 5, 45, 135});
        raw.add(new float[] {35, 70, 85, 70});
        break;
      default:
        throw new IllegalArgumentException("no strokes for " + digit);
    }
    List<float[]> out = new ArrayList<float[]>();
    for (float[] s : raw) {
      float[] t = new float[s.length];
      for (int i = 0; i < s.length; i++) {
        t[i] = s[i] * scale + shift;
      }
      out.add(t);
    }
    return out;
  }

  private static ByteBuffer read(File f) throws IOException {
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

  private static String join(float[] values) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < values.length; i++) {
      s.append(i == 0 ? "" : " ").append(values[i]);
    }
    return s.toString();
  }

  private static void check(boolean ok, String what) {
    if (ok) {
      passed++;
      System.out.println("ok   " + what);
    } else {
      failed++;
      System.out.println("FAIL " + what);
    }
  }
}
