package org.litert.demo;

import java.util.List;

/** Turns finger strokes into the model's input the way scikit-learn's digits were made.
 *
 *  <p>Each image of that data set is a 32x32 black-and-white bitmap of a handwritten digit,
 *  scaled to fill the bitmap, then cut into 8x8 blocks of 4x4 pixels, each block giving the
 *  count of its inked pixels (0 to 16). This class does the same with a drawing: it fits the
 *  strokes' bounding box into 32x32 (keeping the aspect ratio, centred), redraws them there
 *  with a pen as thick as the data set's (so the result does not depend on the screen's
 *  resolution or how thick the strokes were on screen), and counts 4x4 blocks. The model's
 *  input is that count divided by 16.
 *
 *  <p>Plain Java (no Android classes), so it is checked on the host with the models. */
public final class DigitPreprocessor {
  /** Side of the bitmap the strokes are redrawn into. */
  public static final int BITMAP = 32;
  /** Side of the model's input image. */
  public static final int IMAGE = 8;
  private static final int BLOCK = BITMAP / IMAGE;
  /** Pen radius in bitmap pixels: strokes about 5 pixels wide, as in the data set. */
  static final float PEN_RADIUS = 2.5f;

  private DigitPreprocessor() {}

  /** The model input for a drawing: 64 values in [0, 1], row-major; all zeros when there is
   *  nothing drawn. Each stroke is x0, y0, x1, y1, ... in any coordinate system with y down. */
  public static float[] toInput(List<float[]> strokes) {
    boolean[] bitmap = rasterize(strokes);
    float[] input = new float[IMAGE * IMAGE];
    for (int y = 0; y < BITMAP; y++) {
      for (int x = 0; x < BITMAP; x++) {
        if (bitmap[y * BITMAP + x]) {
          input[(y / BLOCK) * IMAGE + x / BLOCK] += 1f / (BLOCK * BLOCK);
        }
      }
    }
    return input;
  }

  /** The strokes redrawn into a 32x32 bitmap (true = ink), fitted and centred. */
  static boolean[] rasterize(List<float[]> strokes) {
    boolean[] bitmap = new boolean[BITMAP * BITMAP];
    float minX = Float.POSITIVE_INFINITY;
    float minY = Float.POSITIVE_INFINITY;
    float maxX = Float.NEGATIVE_INFINITY;
    float maxY = Float.NEGATIVE_INFINITY;
    for (float[] s : strokes) {
      for (int i = 0; i + 1 < s.length; i += 2) {
        minX = Math.min(minX, s[i]);
        maxX = Math.max(maxX, s[i]);
        minY = Math.min(minY, s[i + 1]);
        maxY = Math.max(maxY, s[i + 1]);
      }
    }
    if (minX > maxX) {
      return bitmap; // nothing drawn
    }
    // The bounding box's longer side spans the bitmap minus the pen's reach on both sides.
    float room = BITMAP - 2 * PEN_RADIUS;
    float side = Math.max(Math.max(maxX - minX, maxY - minY), 1e-6f);
    float scale = room / side;
    float offsetX = (BITMAP - (maxX - minX) * scale) / 2 - minX * scale;
    float offsetY = (BITMAP - (maxY - minY) * scale) / 2 - minY * scale;
    for (float[] s : strokes) {
      int points = s.length / 2;
      for (int i = 0; i < points; i++) {
        float x0 = s[2 * i] * scale + offsetX;
        float y0 = s[2 * i + 1] * scale + offsetY;
        int j = Math.min(i + 1, points - 1); // a single point draws a dot
        float x1 = s[2 * j] * scale + offsetX;
        float y1 = s[2 * j + 1] * scale + offsetY;
        drawSegment(bitmap, x0, y0, x1, y1);
      }
    }
    return bitmap;
  }

  /** Inks every pixel whose centre lies within the pen radius of the segment. */
  private static void drawSegment(boolean[] bitmap, float x0, float y0, float x1, float y1) {
    int left = Math.max(0, (int) Math.floor(Math.min(x0, x1) - PEN_RADIUS));
    int right = Math.min(BITMAP - 1, (int) Math.ceil(Math.max(x0, x1) + PEN_RADIUS));
    int top = Math.max(0, (int) Math.floor(Math.min(y0, y1) - PEN_RADIUS));
    int bottom = Math.min(BITMAP - 1, (int) Math.ceil(Math.max(y0, y1) + PEN_RADIUS));
    float dx = x1 - x0;
    float dy = y1 - y0;
    float length2 = dx * dx + dy * dy;
    for (int py = top; py <= bottom; py++) {
      for (int px = left; px <= right; px++) {
        float cx = px + 0.5f;
        float cy = py + 0.5f;
        float t = length2 > 0 ? ((cx - x0) * dx + (cy - y0) * dy) / length2 : 0f;
        t = Math.max(0f, Math.min(1f, t));
        float ex = x0 + t * dx - cx;
        float ey = y0 + t * dy - cy;
        if (ex * ex + ey * ey <= PEN_RADIUS * PEN_RADIUS) {
          bitmap[py * BITMAP + px] = true;
        }
      }
    }
  }
}
