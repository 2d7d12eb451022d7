package org.litert.demo;

import java.nio.ByteBuffer;
import org.litert.DataType;
import org.litert.Interpreter;
import org.litert.Tensor;

/** Runs one of the digit models on an 8x8 image through the org.litert Java API.
 *
 *  <p>The float32 model takes the pixels as they are; the int8 model takes int8 pixels and
 *  returns int8 probabilities, converted here with the scale and zero point its tensors carry
 *  (real = scale * (q - zeroPoint)). Plain Java, checked on the host. */
public final class DigitClassifier implements AutoCloseable {
  /** The three most likely digits with their probabilities, and the time the runtime took. */
  public static final class Result {
    public final int[] digits = new int[3];
    public final float[] probabilities = new float[3];
    public long inferenceNanos;
  }

  private final Interpreter interpreter;
  private final DataType inputType;
  private final DataType outputType;
  private final Tensor.QuantizationParams inputQuant;
  private final Tensor.QuantizationParams outputQuant;
  private final float[] floatIn = new float[64];
  private final float[] floatOut = new float[10];
  private final byte[] byteIn = new byte[64];
  private final byte[] byteOut = new byte[10];

  /** Builds an interpreter over a model in a direct ByteBuffer (kept until close). */
  public DigitClassifier(ByteBuffer model, int numThreads) {
    interpreter = new Interpreter(model, new Interpreter.Options().setNumThreads(numThreads));
    Tensor in = interpreter.getInputTensor(0);
    Tensor out = interpreter.getOutputTensor(0);
    if (in.numElements() != 64 || out.numElements() != 10) {
      interpreter.close();
      throw new IllegalArgumentException("not a digits model: input " + in + ", output " + out);
    }
    inputType = in.dataType();
    outputType = out.dataType();
    inputQuant = in.quantizationParams();
    outputQuant = out.quantizationParams();
    classify(new float[64]); // warm-up: the first run touches memory for the first time
  }

  /** Classifies 64 pixels in [0, 1] (row-major 8x8). */
  public Result classify(float[] pixels) {
    if (pixels.length != 64) {
      throw new IllegalArgumentException("expected 64 pixels, got " + pixels.length);
    }
    Object input;
    if (inputType == DataType.FLOAT32) {
      System.arraycopy(pixels, 0, floatIn, 0, 64);
      input = floatIn;
    } else {
      for (int i = 0; i < 64; i++) {
        byteIn[i] = quantize(pixels[i], inputQuant, inputType);
      }
      input = byteIn;
    }
    Object output = outputType == DataType.FLOAT32 ? floatOut : byteOut;
    interpreter.run(input, output);
    float[] probabilities = new float[10];
    for (int i = 0; i < 10; i++) {
      probabilities[i] = outputType == DataType.FLOAT32 ? floatOut[i]
          : dequantize(byteOut[i], outputQuant, outputType);
    }
    Result result = new Result();
    result.inferenceNanos = interpreter.getLastNativeInferenceDurationNanoseconds();
    boolean[] taken = new boolean[10];
    for (int rank = 0; rank < 3; rank++) {
      int best = -1;
      for (int d = 0; d < 10; d++) {
        if (!taken[d] && (best < 0 || probabilities[d] > probabilities[best])) {
          best = d;
        }
      }
      taken[best] = true;
      result.digits[rank] = best;
      result.probabilities[rank] = probabilities[best];
    }
    return result;
  }

  /** Nearest quantized value, clamped to the type's range. */
  static byte quantize(float value, Tensor.QuantizationParams q, DataType type) {
    long v = Math.round(value / q.getScale()) + q.getZeroPoint();
    if (type == DataType.UINT8) {
      return (byte) Math.max(0, Math.min(255, v));
    }
    return (byte) Math.max(-128, Math.min(127, v));
  }

  static float dequantize(byte value, Tensor.QuantizationParams q, DataType type) {
    int v = type == DataType.UINT8 ? (value & 0xff) : value;
    return q.getScale() * (v - q.getZeroPoint());
  }

  @Override
  public void close() {
    interpreter.close();
  }
}
