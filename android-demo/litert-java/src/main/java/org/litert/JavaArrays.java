package org.litert;

import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.util.Arrays;

/** Moves tensor data between Java values (primitive arrays of any rank, boxed scalars, typed
 *  NIO buffers) and a tensor's bytes in a native-order ByteBuffer, checking element type and
 *  shape first. The arrays' innermost rows are copied with the bulk put/get of the typed
 *  buffer views. */
final class JavaArrays {
  /** The Java element types a tensor can be read into or written from. */
  enum Kind {
    FLOAT("float"),
    INT("int"),
    LONG("long"),
    SHORT("short"),
    BYTE("byte"),
    BOOLEAN("boolean");

    final String javaName;

    Kind(String javaName) {
      this.javaName = javaName;
    }
  }

  private JavaArrays() {}

  // Position and limit changes go through java.nio.Buffer. Since Java 9 the subclasses
  // override clear(), limit(int), ... with covariant return types, so a call made on a
  // ByteBuffer and compiled against a newer android.jar names a method that Android releases
  // before 34 lack (NoSuchMethodError at minSdk 24). Calls on a Buffer exist everywhere.

  static void clear(Buffer b) {
    b.clear();
  }

  static void setPosition(Buffer b, int position) {
    b.position(position);
  }

  static void setLimit(Buffer b, int limit) {
    b.limit(limit);
  }

  /** Kind of a primitive array's innermost element (float[][] -> FLOAT), or null when `o` is
   *  not an array of a supported primitive type. */
  static Kind arrayKind(Object o) {
    Class<?> c = o.getClass();
    if (!c.isArray()) {
      return null;
    }
    while (c.isArray()) {
      c = c.getComponentType();
    }
    return primitiveKind(c);
  }

  /** Kind of a boxed scalar (Float -> FLOAT), or null. */
  static Kind scalarKind(Object o) {
    if (o instanceof Float) return Kind.FLOAT;
    if (o instanceof Integer) return Kind.INT;
    if (o instanceof Long) return Kind.LONG;
    if (o instanceof Short) return Kind.SHORT;
    if (o instanceof Byte) return Kind.BYTE;
    if (o instanceof Boolean) return Kind.BOOLEAN;
    return null;
  }

  /** Kind of a typed NIO buffer (FloatBuffer -> FLOAT), or null (ByteBuffer: raw bytes). */
  static Kind bufferKind(Buffer b) {
    if (b instanceof FloatBuffer) return Kind.FLOAT;
    if (b instanceof IntBuffer) return Kind.INT;
    if (b instanceof LongBuffer) return Kind.LONG;
    if (b instanceof ShortBuffer) return Kind.SHORT;
    return null;
  }

  private static Kind primitiveKind(Class<?> c) {
    if (c == float.class) return Kind.FLOAT;
    if (c == int.class) return Kind.INT;
    if (c == long.class) return Kind.LONG;
    if (c == short.class) return Kind.SHORT;
    if (c == byte.class) return Kind.BYTE;
    if (c == boolean.class) return Kind.BOOLEAN;
    return null;
  }

  /** Whether Java values of `kind` hold elements of `type` (byte[] serves int8 and uint8,
   *  as in TensorFlow Lite's Java API). */
  static boolean compatible(Kind kind, DataType type) {
    switch (type) {
      case FLOAT32:
        return kind == Kind.FLOAT;
      case INT32:
        return kind == Kind.INT;
      case INT64:
        return kind == Kind.LONG;
      case INT16:
        return kind == Kind.SHORT;
      case INT8:
      case UINT8:
        return kind == Kind.BYTE;
      case BOOL:
        return kind == Kind.BOOLEAN;
      default:
        return false;
    }
  }

  /** The Java type that matches a tensor type, for messages ("float", "byte", ...). */
  static String javaTypeFor(DataType type) {
    for (Kind k : Kind.values()) {
      if (compatible(k, type)) {
        return k.javaName;
      }
    }
    return "no Java array type (use a ByteBuffer)";
  }

  /** Number of dimensions of an array object (float[][] -> 2). */
  static int rank(Object array) {
    int rank = 0;
    for (Class<?> c = array.getClass(); c.isArray(); c = c.getComponentType()) {
      rank++;
    }
    return rank;
  }

  /** Shape of an array, read along the first element of each level ([] at a null or empty
   *  level); rectangularity is checked while copying. For messages and shape checks. */
  static int[] shape(Object array) {
    int[] dims = new int[rank(array)];
    Object level = array;
    for (int d = 0; d < dims.length; d++) {
      if (level == null) {
        return Arrays.copyOf(dims, d);
      }
      dims[d] = java.lang.reflect.Array.getLength(level);
      if (d + 1 < dims.length) {
        level = dims[d] > 0 ? ((Object[]) level)[0] : null;
      }
    }
    return dims;
  }

  /** Writes `array` (rank dims.length, innermost type `kind`) into `dst` from position 0. */
  static void write(Object array, int[] dims, Kind kind, ByteBuffer dst, String what) {
    ByteBuffer bytes = dst.duplicate().order(dst.order());
    clear(bytes);
    copy(array, dims, 0, kind, typedView(bytes, kind), true, what);
  }

  /** Fills `array` (rank dims.length, innermost type `kind`) from `src` at position 0. */
  static void read(ByteBuffer src, Object array, int[] dims, Kind kind, String what) {
    ByteBuffer bytes = src.duplicate().order(src.order());
    clear(bytes);
    copy(array, dims, 0, kind, typedView(bytes, kind), false, what);
  }

  private static Buffer typedView(ByteBuffer bytes, Kind kind) {
    switch (kind) {
      case FLOAT:
        return bytes.asFloatBuffer();
      case INT:
        return bytes.asIntBuffer();
      case LONG:
        return bytes.asLongBuffer();
      case SHORT:
        return bytes.asShortBuffer();
      default:
        return bytes;
    }
  }

  /** One level of the array walk; `toBuffer` chooses the direction. Checks every row's length
   *  against the shape, so ragged arrays and null rows are refused, not mis-copied. */
  private static void copy(Object array, int[] dims, int level, Kind kind, Buffer view,
      boolean toBuffer, String what) {
    if (array == null) {
      throw new IllegalArgumentException(what + ": the Java array has a null row at depth "
          + level);
    }
    int length = java.lang.reflect.Array.getLength(array);
    if (length != dims[level]) {
      throw new IllegalArgumentException(what + ": the Java array is ragged or of the wrong "
          + "shape: a row at depth " + level + " has " + length + " elements, the tensor's "
          + "shape " + Arrays.toString(dims) + " needs " + dims[level]);
    }
    if (level + 1 < dims.length) {
      Object[] rows = (Object[]) array;
      for (Object row : rows) {
        copy(row, dims, level + 1, kind, view, toBuffer, what);
      }
      return;
    }
    if (toBuffer) {
      putRow(array, kind, view);
    } else {
      getRow(view, array, kind);
    }
  }

  private static void putRow(Object row, Kind kind, Buffer view) {
    switch (kind) {
      case FLOAT:
        ((FloatBuffer) view).put((float[]) row);
        break;
      case INT:
        ((IntBuffer) view).put((int[]) row);
        break;
      case LONG:
        ((LongBuffer) view).put((long[]) row);
        break;
      case SHORT:
        ((ShortBuffer) view).put((short[]) row);
        break;
      case BYTE:
        ((ByteBuffer) view).put((byte[]) row);
        break;
      case BOOLEAN:
        for (boolean b : (boolean[]) row) {
          ((ByteBuffer) view).put((byte) (b ? 1 : 0));
        }
        break;
    }
  }

  private static void getRow(Buffer view, Object row, Kind kind) {
    switch (kind) {
      case FLOAT:
        ((FloatBuffer) view).get((float[]) row);
        break;
      case INT:
        ((IntBuffer) view).get((int[]) row);
        break;
      case LONG:
        ((LongBuffer) view).get((long[]) row);
        break;
      case SHORT:
        ((ShortBuffer) view).get((short[]) row);
        break;
      case BYTE:
        ((ByteBuffer) view).get((byte[]) row);
        break;
      case BOOLEAN:
        boolean[] values = (boolean[]) row;
        for (int i = 0; i < values.length; i++) {
          values[i] = ((ByteBuffer) view).get() != 0;
        }
        break;
    }
  }

  /** Writes one boxed scalar at position 0 of `dst`. */
  static void writeScalar(Object value, Kind kind, ByteBuffer dst) {
    switch (kind) {
      case FLOAT:
        dst.putFloat(0, (Float) value);
        break;
      case INT:
        dst.putInt(0, (Integer) value);
        break;
      case LONG:
        dst.putLong(0, (Long) value);
        break;
      case SHORT:
        dst.putShort(0, (Short) value);
        break;
      case BYTE:
        dst.put(0, (Byte) value);
        break;
      case BOOLEAN:
        dst.put(0, (byte) (((Boolean) value) ? 1 : 0));
        break;
    }
  }

  /** Copies remaining() elements of a typed buffer into `dst` from position 0 (the source's
   *  position is left unchanged). */
  static void writeBuffer(Buffer src, Kind kind, ByteBuffer dst) {
    ByteBuffer bytes = dst.duplicate().order(dst.order());
    clear(bytes);
    switch (kind) {
      case FLOAT:
        bytes.asFloatBuffer().put(((FloatBuffer) src).duplicate());
        break;
      case INT:
        bytes.asIntBuffer().put(((IntBuffer) src).duplicate());
        break;
      case LONG:
        bytes.asLongBuffer().put(((LongBuffer) src).duplicate());
        break;
      case SHORT:
        bytes.asShortBuffer().put(((ShortBuffer) src).duplicate());
        break;
      default:
        throw new IllegalStateException("not a typed buffer kind: " + kind);
    }
  }

  /** Appends `count` elements of `src` (from position 0) to a typed buffer at its position,
   *  advancing it. */
  static void readBuffer(ByteBuffer src, Kind kind, Buffer dst, int count) {
    ByteBuffer bytes = src.duplicate().order(src.order());
    clear(bytes);
    switch (kind) {
      case FLOAT:
        FloatBuffer f = bytes.asFloatBuffer();
        setLimit(f, count);
        ((FloatBuffer) dst).put(f);
        break;
      case INT:
        IntBuffer i = bytes.asIntBuffer();
        setLimit(i, count);
        ((IntBuffer) dst).put(i);
        break;
      case LONG:
        LongBuffer l = bytes.asLongBuffer();
        setLimit(l, count);
        ((LongBuffer) dst).put(l);
        break;
      case SHORT:
        ShortBuffer s = bytes.asShortBuffer();
        setLimit(s, count);
        ((ShortBuffer) dst).put(s);
        break;
      default:
        throw new IllegalStateException("not a typed buffer kind: " + kind);
    }
  }
}
