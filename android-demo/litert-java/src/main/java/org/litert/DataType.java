package org.litert;

/** Element type of a tensor. The values are TensorFlow Lite's TensorType enum, which the C
 *  runtime uses as is ({@code lt_type} in litert.h). */
public enum DataType {
  FLOAT32(0, 4),
  FLOAT16(1, 2),
  INT32(2, 4),
  UINT8(3, 1),
  INT64(4, 8),
  STRING(5, -1),
  BOOL(6, 1),
  INT16(7, 2),
  COMPLEX64(8, 8),
  INT8(9, 1),
  FLOAT64(10, 8),
  COMPLEX128(11, 16),
  UINT64(12, 8),
  RESOURCE(13, -1),
  VARIANT(14, -1),
  UINT32(15, 4),
  UINT16(16, 2),
  INT4(17, -1),
  BFLOAT16(18, 2);

  private final int value;
  private final int byteSize;

  DataType(int value, int byteSize) {
    this.value = value;
    this.byteSize = byteSize;
  }

  /** Bytes per element; -1 for types without a fixed element size (STRING, RESOURCE,
   *  VARIANT, and INT4, which packs two values per byte). */
  public int byteSize() {
    return byteSize;
  }

  /** The TensorType value of this type. */
  int value() {
    return value;
  }

  static DataType fromValue(int value) {
    for (DataType t : values()) {
      if (t.value == value) {
        return t;
      }
    }
    throw new IllegalStateException("the runtime reported an unknown tensor type " + value);
  }
}
