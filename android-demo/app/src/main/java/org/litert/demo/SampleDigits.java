package org.litert.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.List;

/** The bundled sample images (assets/digits_samples.csv, written by make_models.py): held-out
 *  images of scikit-learn's digits, one per digit. Plain Java, checked on the host. */
public final class SampleDigits {
  /** One image: its label and its 64 pixels as the model's input (values in [0, 1]). */
  public static final class Sample {
    public final int label;
    public final float[] pixels;

    Sample(int label, float[] pixels) {
      this.label = label;
      this.pixels = pixels;
    }
  }

  private SampleDigits() {}

  /** Parses the CSV: a header line, then `label,v0,...,v63` with values 0..16. */
  public static List<Sample> read(InputStream in) throws IOException {
    List<Sample> samples = new ArrayList<Sample>();
    BufferedReader reader = new BufferedReader(
        new InputStreamReader(in, Charset.forName("UTF-8")));
    String line = reader.readLine(); // header
    int lineNumber = 1;
    while ((line = reader.readLine()) != null) {
      lineNumber++;
      line = line.trim();
      if (line.isEmpty()) {
        continue;
      }
      String[] fields = line.split(",");
      if (fields.length != 65) {
        throw new IOException("samples line " + lineNumber + ": expected 65 fields, got "
            + fields.length);
      }
      float[] pixels = new float[64];
      try {
        for (int i = 0; i < 64; i++) {
          pixels[i] = Integer.parseInt(fields[i + 1]) / 16f;
        }
        samples.add(new Sample(Integer.parseInt(fields[0]), pixels));
      } catch (NumberFormatException e) {
        throw new IOException("samples line " + lineNumber + ": " + e.getMessage(), e);
      }
    }
    return samples;
  }
}
