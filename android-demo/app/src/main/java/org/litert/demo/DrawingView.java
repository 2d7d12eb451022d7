package org.litert.demo;

import android.content.Context;
import android.graphics.Canvas;
import android.graphics.Color;
import android.graphics.Paint;
import android.graphics.Path;
import android.util.AttributeSet;
import android.view.MotionEvent;
import android.view.View;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A square canvas to draw a digit on with a finger; or showing a sample image's 8x8 pixels.
 *  Keeps the strokes as point lists (DigitPreprocessor redraws them at the model's scale) and
 *  tells its listener when a stroke ends. */
public final class DrawingView extends View {
  /** Called when the user lifts the finger after a stroke. */
  public interface Listener {
    void onStrokeFinished(List<float[]> strokes);
  }

  private final List<float[]> strokes = new ArrayList<float[]>();
  private float[] current = new float[64];
  private int currentLength; // floats used in `current`
  private boolean drawing;
  private float[] image; // a sample's 64 pixels when showing one, else null
  private Listener listener;

  private final Paint ink = new Paint(Paint.ANTI_ALIAS_FLAG);
  private final Paint cell = new Paint();
  private final Path path = new Path();

  public DrawingView(Context context) {
    this(context, null);
  }

  public DrawingView(Context context, AttributeSet attrs) {
    super(context, attrs);
    ink.setColor(Color.WHITE);
    ink.setStyle(Paint.Style.STROKE);
    ink.setStrokeCap(Paint.Cap.ROUND);
    ink.setStrokeJoin(Paint.Join.ROUND);
    cell.setStyle(Paint.Style.FILL);
  }

  public void setListener(Listener listener) {
    this.listener = listener;
  }

  /** Forgets the drawing (and any sample shown). */
  public void clear() {
    strokes.clear();
    currentLength = 0;
    drawing = false;
    image = null;
    invalidate();
  }

  /** Shows a sample image (64 values in [0, 1]) instead of a drawing. */
  public void showImage(float[] pixels) {
    clear();
    image = Arrays.copyOf(pixels, pixels.length);
    invalidate();
  }

  /** A copy of the finished strokes (x0, y0, x1, y1, ... in view pixels). */
  public List<float[]> getStrokes() {
    return new ArrayList<float[]>(strokes);
  }

  @Override
  protected void onMeasure(int widthMeasureSpec, int heightMeasureSpec) {
    // Square, as wide as the layout allows.
    int width = MeasureSpec.getSize(widthMeasureSpec);
    int height = MeasureSpec.getSize(heightMeasureSpec);
    int side = MeasureSpec.getMode(heightMeasureSpec) == MeasureSpec.UNSPECIFIED
        ? width : Math.min(width, height);
    setMeasuredDimension(side, side);
  }

  @Override
  public boolean onTouchEvent(MotionEvent event) {
    switch (event.getActionMasked()) {
      case MotionEvent.ACTION_DOWN:
        // Keep a surrounding ScrollView from taking the gesture over.
        if (getParent() != null) {
          getParent().requestDisallowInterceptTouchEvent(true);
        }
        if (image != null) {
          clear();
        }
        drawing = true;
        currentLength = 0;
        addPoint(event.getX(), event.getY());
        invalidate();
        return true;
      case MotionEvent.ACTION_MOVE:
        if (!drawing) {
          return false;
        }
        for (int h = 0; h < event.getHistorySize(); h++) {
          addPoint(event.getHistoricalX(h), event.getHistoricalY(h));
        }
        addPoint(event.getX(), event.getY());
        invalidate();
        return true;
      case MotionEvent.ACTION_UP:
        if (!drawing) {
          return false;
        }
        addPoint(event.getX(), event.getY());
        finishStroke();
        performClick();
        return true;
      case MotionEvent.ACTION_CANCEL:
        if (drawing) {
          finishStroke();
        }
        return true;
      default:
        return super.onTouchEvent(event);
    }
  }

  @Override
  public boolean performClick() {
    return super.performClick();
  }

  private void addPoint(float x, float y) {
    if (currentLength + 2 > current.length) {
      current = Arrays.copyOf(current, current.length * 2);
    }
    current[currentLength++] = x;
    current[currentLength++] = y;
  }

  private void finishStroke() {
    drawing = false;
    if (currentLength > 0) {
      strokes.add(Arrays.copyOf(current, currentLength));
    }
    currentLength = 0;
    invalidate();
    if (listener != null) {
      listener.onStrokeFinished(getStrokes());
    }
  }

  @Override
  protected void onDraw(Canvas canvas) {
    super.onDraw(canvas);
    canvas.drawColor(Color.BLACK);
    if (image != null) {
      float size = getWidth() / 8f;
      for (int i = 0; i < 64; i++) {
        int level = Math.round(Math.max(0f, Math.min(1f, image[i])) * 255);
        cell.setColor(Color.rgb(level, level, level));
        float x = (i % 8) * size;
        float y = (i / 8) * size;
        canvas.drawRect(x, y, x + size, y + size, cell);
      }
      return;
    }
    // A pen about as thick, relative to the digit, as the data set's.
    ink.setStrokeWidth(Math.max(4f, getWidth() / 14f));
    for (float[] s : strokes) {
      drawStroke(canvas, s, s.length);
    }
    if (drawing) {
      drawStroke(canvas, current, currentLength);
    }
  }

  private void drawStroke(Canvas canvas, float[] points, int length) {
    if (length < 2) {
      return;
    }
    path.reset();
    path.moveTo(points[0], points[1]);
    if (length == 2) {
      path.lineTo(points[0] + 0.1f, points[1]); // a dot
    }
    for (int i = 2; i + 1 < length; i += 2) {
      path.lineTo(points[i], points[i + 1]);
    }
    canvas.drawPath(path, ink);
  }
}
