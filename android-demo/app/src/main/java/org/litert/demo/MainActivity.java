package org.litert.demo;

import android.app.Activity;
import android.os.Bundle;
import android.view.View;
import android.widget.Button;
import android.widget.CompoundButton;
import android.widget.LinearLayout;
import android.widget.RadioGroup;
import android.widget.Switch;
import android.widget.TextView;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.litert.Interpreter;

/** The demo: draw a digit (or pick a sample), see the model's top 3 and the inference time,
 *  switch between the float32 and int8 model and between 1, 2 and 4 threads.
 *
 *  <p>Inference runs on the UI thread: the models are tiny (well under a millisecond). A real
 *  app with a large model would run it on a background thread, one interpreter per thread. */
public final class MainActivity extends Activity {
  private static final String FLOAT_MODEL = "digits_float32.tflite";
  private static final String INT8_MODEL = "digits_int8.tflite";
  private static final String SAMPLES = "digits_samples.csv";

  private DrawingView drawing;
  private PixelGridView preview;
  private TextView result;
  private Switch int8Switch;
  private RadioGroup threadGroup;

  private ByteBuffer floatModel;
  private ByteBuffer int8Model;
  private DigitClassifier classifier;
  private String classifierName = "";
  private float[] lastInput; // what was classified last, re-run when the settings change

  @Override
  protected void onCreate(Bundle savedInstanceState) {
    super.onCreate(savedInstanceState);
    setContentView(R.layout.activity_main);
    drawing = (DrawingView) findViewById(R.id.drawing);
    preview = (PixelGridView) findViewById(R.id.preview);
    result = (TextView) findViewById(R.id.result);
    int8Switch = (Switch) findViewById(R.id.int8_switch);
    threadGroup = (RadioGroup) findViewById(R.id.threads);
    Button clear = (Button) findViewById(R.id.clear);

    try {
      floatModel = readAsset(FLOAT_MODEL);
      int8Model = readAsset(INT8_MODEL);
      addSampleButtons((LinearLayout) findViewById(R.id.samples));
    } catch (IOException e) {
      result.setText(getString(R.string.asset_error, e.getMessage()));
      return;
    }

    drawing.setListener(new DrawingView.Listener() {
      @Override
      public void onStrokeFinished(List<float[]> strokes) {
        classify(DigitPreprocessor.toInput(strokes));
      }
    });
    clear.setOnClickListener(new View.OnClickListener() {
      @Override
      public void onClick(View v) {
        drawing.clear();
        lastInput = null;
        preview.setPixels(new float[64]);
        result.setText(R.string.draw_hint);
      }
    });
    int8Switch.setOnCheckedChangeListener(new CompoundButton.OnCheckedChangeListener() {
      @Override
      public void onCheckedChanged(CompoundButton button, boolean checked) {
        settingsChanged();
      }
    });
    threadGroup.setOnCheckedChangeListener(new RadioGroup.OnCheckedChangeListener() {
      @Override
      public void onCheckedChanged(RadioGroup group, int checkedId) {
        settingsChanged();
      }
    });
    result.setText(R.string.draw_hint);
    settingsChanged(); // builds the classifier (or shows why it could not)
  }

  @Override
  protected void onDestroy() {
    if (classifier != null) {
      classifier.close();
      classifier = null;
    }
    super.onDestroy();
  }

  private int threads() {
    int id = threadGroup.getCheckedRadioButtonId();
    if (id == R.id.threads4) {
      return 4;
    }
    return id == R.id.threads2 ? 2 : 1;
  }

  /** Rebuilds the classifier for the chosen model and thread count and re-runs the input. */
  private void settingsChanged() {
    boolean int8 = int8Switch.isChecked();
    int threads = threads();
    if (classifier != null) {
      classifier.close();
      classifier = null;
    }
    try {
      classifier = new DigitClassifier(int8 ? int8Model : floatModel, threads);
      classifierName = String.format(Locale.US, "%s, %d thread%s", int8 ? "int8" : "float32",
          threads, threads == 1 ? "" : "s");
    } catch (IllegalArgumentException e) {
      result.setText(getString(R.string.model_error, e.getMessage()));
      return;
    }
    if (lastInput != null) {
      classify(lastInput);
    }
  }

  private void classify(float[] input) {
    lastInput = input;
    preview.setPixels(input);
    if (classifier == null) {
      return;
    }
    DigitClassifier.Result r = classifier.classify(input);
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 3; i++) {
      text.append(String.format(Locale.US, "%d.  digit %d   %5.1f%%%n", i + 1, r.digits[i],
          100f * r.probabilities[i]));
    }
    text.append(String.format(Locale.US, "%ninference %.3f ms%n%s%nlitert %s",
        r.inferenceNanos / 1e6, classifierName, Interpreter.runtimeVersion()));
    result.setText(text.toString());
  }

  private void addSampleButtons(LinearLayout row) throws IOException {
    List<SampleDigits.Sample> samples;
    InputStream in = getAssets().open(SAMPLES);
    try {
      samples = SampleDigits.read(in);
    } finally {
      in.close();
    }
    Collections.shuffle(samples); // the labels are not shown: let the model tell
    for (int i = 0; i < samples.size(); i++) {
      final SampleDigits.Sample sample = samples.get(i);
      Button button = new Button(this);
      button.setText(getString(R.string.sample, i + 1));
      button.setAllCaps(false);
      button.setOnClickListener(new View.OnClickListener() {
        @Override
        public void onClick(View v) {
          drawing.showImage(sample.pixels);
          classify(sample.pixels);
        }
      });
      row.addView(button);
    }
  }

  /** An asset's bytes in a direct ByteBuffer, which the interpreter uses in place. */
  private ByteBuffer readAsset(String name) throws IOException {
    InputStream in = getAssets().open(name);
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      byte[] chunk = new byte[16384];
      for (int n; (n = in.read(chunk)) > 0; ) {
        bytes.write(chunk, 0, n);
      }
      byte[] data = bytes.toByteArray();
      ByteBuffer buffer = ByteBuffer.allocateDirect(data.length).order(ByteOrder.nativeOrder());
      buffer.put(data);
      // Through Buffer: ByteBuffer.flip() compiled against a new android.jar is missing on
      // releases before Android 14 (covariant return type added in Java 9).
      Buffer view = buffer;
      view.flip();
      return buffer;
    } finally {
      in.close();
    }
  }
}
