package org.litert.demo;

import android.content.Context;
import android.graphics.Canvas;
import android.graphics.Color;
import android.graphics.Paint;
import android.util.AttributeSet;
import android.view.View;

/** Shows the 8x8 image the model is given (grey levels of the values in [0, 1]). */
public final class PixelGridView extends View {
  private final float[] pixels = new float[64];
  private final Paint cell = new Paint();
  private final Paint grid = new Paint();

  public PixelGridView(Context context) {
    this(context, null);
  }

  public PixelGridView(Context context, AttributeSet attrs) {
    super(context, attrs);
    cell.setStyle(Paint.Style.FILL);
    grid.setStyle(Paint.Style.STROKE);
    grid.setColor(Color.DKGRAY);
  }

  public void setPixels(float[] values) {
    System.arraycopy(values, 0, pixels, 0, 64);
    invalidate();
  }

  @Override
  protected void onDraw(Canvas canvas) {
    super.onDraw(canvas);
    float size = Math.min(getWidth(), getHeight()) / 8f;
    for (int i = 0; i < 64; i++) {
      int level = Math.round(Math.max(0f, Math.min(1f, pixels[i])) * 255);
      cell.setColor(Color.rgb(level, level, level));
      float x = (i % 8) * size;
      float y = (i / 8) * size;
      canvas.drawRect(x, y, x + size, y + size, cell);
      canvas.drawRect(x, y, x + size, y + size, grid);
    }
  }
}
