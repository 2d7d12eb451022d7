package org.litert;

import java.util.Arrays;

/** An input or output tensor of an {@link Interpreter}: its type, shape and quantization.
 *
 *  <p>A Tensor is a live view: after {@link Interpreter#resizeInput} and
 *  {@link Interpreter#allocateTensors} it reports the new shapes. Every method throws
 *  IllegalStateException once its interpreter is closed. Data goes in and out through
 *  {@link Interpreter#run} and {@link Interpreter#runForMultipleInputsOutputs}. */
public final class Tensor {
  /** Scale and zero point of a quantized tensor: real = scale * (quantized - zeroPoint).
   *  Both are 0 for a tensor that is not quantized. */
  public static final class QuantizationParams {
    private final float scale;
    private final int zeroPoint;

    public QuantizationParams(float scale, int zeroPoint) {
      this.scale = scale;
      this.zeroPoint = zeroPoint;
    }

    public float getScale() {
      return scale;
    }

    public int getZeroPoint() {
      return zeroPoint;
    }

    @Override
    public String toString() {
      return "QuantizationParams{scale=" + scale + ", zeroPoint=" + zeroPoint + "}";
    }
  }

  private final Interpreter owner;
  private final int tensorIndex;

  Tensor(Interpreter owner, int tensorIndex) {
    this.owner = owner;
    this.tensorIndex = tensorIndex;
  }

  /** Index of the tensor in the model's tensor list. */
  public int index() {
    return tensorIndex;
  }

  public DataType dataType() {
    synchronized (owner) {
      return DataType.fromValue(NativeBridge.tensorType(owner.handle(), tensorIndex));
    }
  }

  /** The current shape (a fresh array each call). */
  public int[] shape() {
    synchronized (owner) {
      return NativeBridge.tensorShape(owner.handle(), tensorIndex);
    }
  }

  /** The shape the model was saved with, -1 marking each dimension that may be resized (for
   *  example a dynamic batch); the shape itself when the file records no signature. */
  public int[] shapeSignature() {
    synchronized (owner) {
      return NativeBridge.tensorShapeSignature(owner.handle(), tensorIndex);
    }
  }

  public int numDimensions() {
    return shape().length;
  }

  /** Number of elements (the product of the shape; 1 for a scalar). */
  public int numElements() {
    return Interpreter.elementCount(shape());
  }

  /** Size of the tensor's data in bytes. */
  public int numBytes() {
    synchronized (owner) {
      long bytes = NativeBridge.tensorBytes(owner.handle(), tensorIndex);
      if (bytes > Integer.MAX_VALUE) {
        throw new IllegalStateException("tensor " + tensorIndex + " holds " + bytes
            + " bytes, more than a Java array or buffer can");
      }
      return (int) bytes;
    }
  }

  /** The tensor's name in the model file. */
  public String name() {
    synchronized (owner) {
      return NativeBridge.tensorName(owner.handle(), tensorIndex);
    }
  }

  /** Quantization of an int8 / uint8 tensor (per-tensor; the first channel's when it is
   *  quantized per channel). */
  public QuantizationParams quantizationParams() {
    synchronized (owner) {
      long handle = owner.handle();
      float scale = NativeBridge.tensorScale(handle, tensorIndex);
      long zeroPoint = NativeBridge.tensorZeroPoint(handle, tensorIndex);
      return new QuantizationParams(scale, (int) zeroPoint);
    }
  }

  @Override
  public String toString() {
    synchronized (owner) {
      if (owner.isClosed()) {
        return "Tensor{" + tensorIndex + ", interpreter closed}";
      }
      return "Tensor{" + tensorIndex + " '" + name() + "' " + dataType() + " "
          + Arrays.toString(shape()) + "}";
    }
  }
}
