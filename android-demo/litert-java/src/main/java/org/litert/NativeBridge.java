package org.litert;

import java.nio.ByteBuffer;

/** The native methods of the JNI bridge (src/main/cpp/litert_jni.c), one per C call it makes.
 *  Handles are the addresses of the bridge's per-interpreter data; 0 means closed, and every
 *  method given 0 throws IllegalStateException. Failures of the C runtime arrive as
 *  IllegalArgumentException carrying the runtime's message. Callers (Interpreter) check their
 *  arguments first; the bridge checks again whatever could touch memory out of bounds. */
final class NativeBridge {
  /** Name of the shared library: liblitert_jni.so on Android and Linux. */
  static final String LIBRARY = "litert_jni";

  static {
    System.loadLibrary(LIBRARY);
  }

  private NativeBridge() {}

  static native long createFromBuffer(ByteBuffer buffer, int offset, int size, int numThreads);

  static native long createFromFile(String path, int numThreads);

  static native void destroy(long handle);

  static native int inputCount(long handle);

  static native int outputCount(long handle);

  static native int inputTensor(long handle, int input);

  static native int outputTensor(long handle, int output);

  static native int tensorType(long handle, int tensor);

  static native int[] tensorShape(long handle, int tensor);

  static native int[] tensorShapeSignature(long handle, int tensor);

  static native long tensorBytes(long handle, int tensor);

  static native String tensorName(long handle, int tensor);

  static native float tensorScale(long handle, int tensor);

  static native long tensorZeroPoint(long handle, int tensor);

  static native void resizeInput(long handle, int input, int[] dims);

  static native void allocate(long handle);

  static native void invoke(long handle);

  static native void copyToTensor(long handle, int tensor, ByteBuffer src, int offset, int bytes);

  static native void copyFromTensor(long handle, int tensor, ByteBuffer dst, int offset,
      int bytes);

  static native String version();
}
