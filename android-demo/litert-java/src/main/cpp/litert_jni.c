/* JNI bridge between org.litert.NativeBridge (Java) and litert's public C API.
 *
 * The bridge adds no logic of its own beyond moving values across JNI and turning C errors
 * into Java exceptions: the Java side (Interpreter.java) checks arguments and state first, and
 * every call here still re-checks what could corrupt memory (handles, tensor indices, buffer
 * bounds), so a bad call from Java raises an exception and never crashes the process.
 *
 * Exceptions thrown here:
 *   IllegalArgumentException  bad model, bad shape or size, failed allocate / invoke (the C
 *                             message says why)
 *   IllegalStateException     a closed interpreter (handle 0)
 * After throwing, each function returns at once with a dummy value, as JNI requires.
 *
 * No global state: each interpreter's native data lives in a `bridge` allocated per
 * Interpreter and passed back and forth as a Java long. Classes are looked up per throw (a
 * cached jclass would be global state, and errors are not a hot path). */
#include <jni.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "litert/litert.h"

#define ILLEGAL_ARGUMENT "java/lang/IllegalArgumentException"
#define ILLEGAL_STATE "java/lang/IllegalStateException"
#define OUT_OF_MEMORY "java/lang/OutOfMemoryError"

/* Room for the C runtime's messages (they name tensors and ops, so can be long). */
#define ERROR_BYTES 512
/* Longest shape accepted from Java; the runtime's own limit is lower and checked by it. */
#define MAX_JAVA_RANK 64

/* What a Java Interpreter's handle points to. The model must outlive the interpreter made
 * from it; the model's bytes (a direct ByteBuffer) are kept alive by the Java object. */
typedef struct bridge {
    lt_model *model;
    lt_interpreter *interp;
} bridge;

static void throw_new(JNIEnv *env, const char *class_name, const char *message) {
    if ((*env)->ExceptionCheck(env)) return; /* keep the first exception */
    jclass cls = (*env)->FindClass(env, class_name);
    if (cls == NULL) return; /* FindClass left NoClassDefFoundError pending */
    (*env)->ThrowNew(env, cls, message);
    (*env)->DeleteLocalRef(env, cls);
}

/* Throws IllegalArgumentException with "<what>: <the interpreter's last C error>". */
static void throw_c_error(JNIEnv *env, const bridge *b, const char *what) {
    char message[ERROR_BYTES + 128];
    const char *detail = lt_interpreter_error(b->interp);
    snprintf(message, sizeof message, "%s: %s", what,
             detail != NULL && detail[0] != '\0' ? detail : "unknown error");
    throw_new(env, ILLEGAL_ARGUMENT, message);
}

static jlong to_handle(bridge *b) { return (jlong)(intptr_t)b; }

/* The bridge behind a handle, or NULL with IllegalStateException pending for a closed one. */
static bridge *from_handle(JNIEnv *env, jlong handle) {
    if (handle == 0) {
        throw_new(env, ILLEGAL_STATE, "the interpreter is closed");
        return NULL;
    }
    return (bridge *)(intptr_t)handle;
}

/* The bridge, if `tensor` is a valid tensor index of it; else NULL with an exception. */
static bridge *with_tensor(JNIEnv *env, jlong handle, jint tensor) {
    bridge *b = from_handle(env, handle);
    if (b == NULL) return NULL;
    int count = lt_interpreter_tensor_count(b->interp);
    if (tensor < 0 || tensor >= count) {
        char message[128];
        snprintf(message, sizeof message, "tensor index %d out of range (0 to %d)", (int)tensor,
                 count - 1);
        throw_new(env, ILLEGAL_ARGUMENT, message);
        return NULL;
    }
    return b;
}

static void destroy_bridge(bridge *b) {
    if (b == NULL) return;
    lt_interpreter_free(b->interp);
    lt_model_free(b->model); /* after the interpreter made from it */
    free(b);
}

/* Builds the interpreter over a loaded model (taking ownership of it) and allocates its
 * tensors, so a model the runtime cannot run fails here, at construction. */
static jlong finish_create(JNIEnv *env, lt_model *model, jint num_threads) {
    bridge *b = calloc(1, sizeof *b);
    if (b == NULL) {
        lt_model_free(model);
        throw_new(env, OUT_OF_MEMORY, "no memory for the interpreter");
        return 0;
    }
    b->model = model;
    lt_options options = lt_options_default();
    options.num_threads = num_threads;
    char err[ERROR_BYTES];
    err[0] = '\0';
    b->interp = lt_interpreter_create(model, &options, err, sizeof err);
    if (b->interp == NULL) {
        destroy_bridge(b);
        char message[ERROR_BYTES + 64];
        snprintf(message, sizeof message, "cannot create the interpreter: %s", err);
        throw_new(env, ILLEGAL_ARGUMENT, message);
        return 0;
    }
    if (lt_interpreter_allocate(b->interp) != LT_OK) {
        throw_c_error(env, b, "cannot allocate the model's tensors");
        destroy_bridge(b);
        return 0;
    }
    return to_handle(b);
}

static void throw_load_error(JNIEnv *env, const char *err) {
    char message[ERROR_BYTES + 64];
    snprintf(message, sizeof message, "cannot load the model: %s", err);
    throw_new(env, ILLEGAL_ARGUMENT, message);
}

/* Address of [offset, offset + bytes) inside a direct buffer, or NULL with an exception. */
static uint8_t *direct_range(JNIEnv *env, jobject buffer, jint offset, jint bytes) {
    if (buffer == NULL) {
        throw_new(env, ILLEGAL_ARGUMENT, "the buffer is null");
        return NULL;
    }
    uint8_t *address = (*env)->GetDirectBufferAddress(env, buffer);
    jlong capacity = (*env)->GetDirectBufferCapacity(env, buffer);
    if (address == NULL || capacity < 0) {
        throw_new(env, ILLEGAL_ARGUMENT, "the buffer is not a direct ByteBuffer");
        return NULL;
    }
    if (offset < 0 || bytes < 0 || (jlong)offset + (jlong)bytes > capacity) {
        char message[160];
        snprintf(message, sizeof message,
                 "range [%d, %lld) is outside the buffer's %lld bytes", (int)offset,
                 (long long)offset + (long long)bytes, (long long)capacity);
        throw_new(env, ILLEGAL_ARGUMENT, message);
        return NULL;
    }
    return address + offset;
}

JNIEXPORT jlong JNICALL Java_org_litert_NativeBridge_createFromBuffer(
    JNIEnv *env, jclass cls, jobject buffer, jint offset, jint size, jint num_threads) {
    (void)cls;
    const uint8_t *data = direct_range(env, buffer, offset, size);
    if (data == NULL) return 0;
    char err[ERROR_BYTES];
    err[0] = '\0';
    lt_model *model = lt_model_from_buffer(data, (size_t)size, err, sizeof err);
    if (model == NULL) {
        throw_load_error(env, err);
        return 0;
    }
    return finish_create(env, model, num_threads);
}

JNIEXPORT jlong JNICALL Java_org_litert_NativeBridge_createFromFile(
    JNIEnv *env, jclass cls, jstring path, jint num_threads) {
    (void)cls;
    if (path == NULL) {
        throw_new(env, ILLEGAL_ARGUMENT, "the model path is null");
        return 0;
    }
    const char *chars = (*env)->GetStringUTFChars(env, path, NULL);
    if (chars == NULL) return 0; /* OutOfMemoryError pending */
    char err[ERROR_BYTES];
    err[0] = '\0';
    lt_model *model = lt_model_from_file(chars, err, sizeof err);
    (*env)->ReleaseStringUTFChars(env, path, chars);
    if (model == NULL) {
        throw_load_error(env, err);
        return 0;
    }
    return finish_create(env, model, num_threads);
}

JNIEXPORT void JNICALL Java_org_litert_NativeBridge_destroy(JNIEnv *env, jclass cls,
                                                             jlong handle) {
    (void)env;
    (void)cls;
    destroy_bridge((bridge *)(intptr_t)handle);
}

JNIEXPORT jint JNICALL Java_org_litert_NativeBridge_inputCount(JNIEnv *env, jclass cls,
                                                                jlong handle) {
    (void)cls;
    bridge *b = from_handle(env, handle);
    return b ? lt_interpreter_input_count(b->interp) : 0;
}

JNIEXPORT jint JNICALL Java_org_litert_NativeBridge_outputCount(JNIEnv *env, jclass cls,
                                                                 jlong handle) {
    (void)cls;
    bridge *b = from_handle(env, handle);
    return b ? lt_interpreter_output_count(b->interp) : 0;
}

/* Tensor index of input / output i; -1 (never thrown on) when i is out of range. */
JNIEXPORT jint JNICALL Java_org_litert_NativeBridge_inputTensor(JNIEnv *env, jclass cls,
                                                                 jlong handle, jint i) {
    (void)cls;
    bridge *b = from_handle(env, handle);
    return b ? lt_interpreter_input_tensor(b->interp, i) : -1;
}

JNIEXPORT jint JNICALL Java_org_litert_NativeBridge_outputTensor(JNIEnv *env, jclass cls,
                                                                  jlong handle, jint i) {
    (void)cls;
    bridge *b = from_handle(env, handle);
    return b ? lt_interpreter_output_tensor(b->interp, i) : -1;
}

/* Fills `info` for a tensor; 0 with an exception pending on failure. */
static int tensor_info(JNIEnv *env, jlong handle, jint tensor, lt_tensor_info *info) {
    bridge *b = with_tensor(env, handle, tensor);
    if (b == NULL) return 0;
    if (lt_interpreter_tensor_info(b->interp, tensor, info) != LT_OK) {
        throw_c_error(env, b, "cannot describe the tensor");
        return 0;
    }
    return 1;
}

JNIEXPORT jint JNICALL Java_org_litert_NativeBridge_tensorType(JNIEnv *env, jclass cls,
                                                                jlong handle, jint tensor) {
    (void)cls;
    lt_tensor_info info;
    return tensor_info(env, handle, tensor, &info) ? (jint)info.type : -1;
}

/* A Java int[] with the values of a shape (copied element-wise: jint and int32_t are both
 * 32-bit but need not be the same C type). */
static jintArray new_int_array(JNIEnv *env, const int32_t *values, int count) {
    if (count < 0 || count > MAX_JAVA_RANK || (count > 0 && values == NULL)) {
        throw_new(env, ILLEGAL_STATE, "the runtime reported an invalid shape");
        return NULL;
    }
    jint copy[MAX_JAVA_RANK];
    for (int i = 0; i < count; i++) copy[i] = (jint)values[i];
    jintArray array = (*env)->NewIntArray(env, count);
    if (array == NULL) return NULL; /* OutOfMemoryError pending */
    if (count > 0) (*env)->SetIntArrayRegion(env, array, 0, count, copy);
    return array;
}

JNIEXPORT jintArray JNICALL Java_org_litert_NativeBridge_tensorShape(JNIEnv *env, jclass cls,
                                                                     jlong handle,
                                                                     jint tensor) {
    (void)cls;
    lt_tensor_info info;
    if (!tensor_info(env, handle, tensor, &info)) return NULL;
    return new_int_array(env, info.dims, info.rank);
}

/* The shape signature (-1 marks a dynamic dimension); the shape itself when the file has
 * none. */
JNIEXPORT jintArray JNICALL Java_org_litert_NativeBridge_tensorShapeSignature(
    JNIEnv *env, jclass cls, jlong handle, jint tensor) {
    (void)cls;
    lt_tensor_info info;
    if (!tensor_info(env, handle, tensor, &info)) return NULL;
    if (info.signature_rank > 0 && info.dims_signature != NULL)
        return new_int_array(env, info.dims_signature, info.signature_rank);
    return new_int_array(env, info.dims, info.rank);
}

JNIEXPORT jlong JNICALL Java_org_litert_NativeBridge_tensorBytes(JNIEnv *env, jclass cls,
                                                                 jlong handle, jint tensor) {
    (void)cls;
    lt_tensor_info info;
    if (!tensor_info(env, handle, tensor, &info)) return -1;
    /* A tensor larger than a jlong cannot exist in memory; clamp rather than wrap. */
    return info.bytes > (size_t)INT64_MAX ? (jlong)INT64_MAX : (jlong)info.bytes;
}

JNIEXPORT jstring JNICALL Java_org_litert_NativeBridge_tensorName(JNIEnv *env, jclass cls,
                                                                  jlong handle, jint tensor) {
    (void)cls;
    lt_tensor_info info;
    if (!tensor_info(env, handle, tensor, &info)) return NULL;
    /* Names come from the model file; NewStringUTF wants modified UTF-8, so anything but
     * printable ASCII is replaced rather than risking a JNI error on odd bytes. */
    char name[1024];
    size_t n = 0;
    if (info.name != NULL) {
        for (; info.name[n] != '\0' && n + 1 < sizeof name; n++) {
            unsigned char c = (unsigned char)info.name[n];
            name[n] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
        }
    }
    name[n] = '\0';
    return (*env)->NewStringUTF(env, name);
}

/* Scale and zero point of a per-tensor quantized tensor (the first entry when per-channel);
 * 0 and 0 when the tensor is not quantized, as TensorFlow Lite's Java API reports. */
JNIEXPORT jfloat JNICALL Java_org_litert_NativeBridge_tensorScale(JNIEnv *env, jclass cls,
                                                                  jlong handle, jint tensor) {
    (void)cls;
    lt_tensor_info info;
    if (!tensor_info(env, handle, tensor, &info)) return 0.0f;
    return info.quant_count > 0 && info.quant_scales != NULL ? info.quant_scales[0] : 0.0f;
}

JNIEXPORT jlong JNICALL Java_org_litert_NativeBridge_tensorZeroPoint(JNIEnv *env, jclass cls,
                                                                     jlong handle,
                                                                     jint tensor) {
    (void)cls;
    lt_tensor_info info;
    if (!tensor_info(env, handle, tensor, &info)) return 0;
    return info.quant_count > 0 && info.quant_zero_points != NULL
               ? (jlong)info.quant_zero_points[0]
               : 0;
}

JNIEXPORT void JNICALL Java_org_litert_NativeBridge_resizeInput(JNIEnv *env, jclass cls,
                                                                 jlong handle, jint input,
                                                                 jintArray dims) {
    (void)cls;
    bridge *b = from_handle(env, handle);
    if (b == NULL) return;
    if (dims == NULL) {
        throw_new(env, ILLEGAL_ARGUMENT, "the new shape is null");
        return;
    }
    jsize rank = (*env)->GetArrayLength(env, dims);
    if (rank > MAX_JAVA_RANK) {
        throw_new(env, ILLEGAL_ARGUMENT, "the new shape has too many dimensions");
        return;
    }
    jint values[MAX_JAVA_RANK];
    int32_t shape[MAX_JAVA_RANK];
    if (rank > 0) (*env)->GetIntArrayRegion(env, dims, 0, rank, values);
    if ((*env)->ExceptionCheck(env)) return;
    for (jsize d = 0; d < rank; d++) shape[d] = (int32_t)values[d];
    if (lt_interpreter_resize_input(b->interp, input, shape, (int)rank) != LT_OK)
        throw_c_error(env, b, "cannot resize the input");
}

JNIEXPORT void JNICALL Java_org_litert_NativeBridge_allocate(JNIEnv *env, jclass cls,
                                                              jlong handle) {
    (void)cls;
    bridge *b = from_handle(env, handle);
    if (b != NULL && lt_interpreter_allocate(b->interp) != LT_OK)
        throw_c_error(env, b, "cannot allocate tensors");
}

JNIEXPORT void JNICALL Java_org_litert_NativeBridge_invoke(JNIEnv *env, jclass cls,
                                                            jlong handle) {
    (void)cls;
    bridge *b = from_handle(env, handle);
    if (b != NULL && lt_interpreter_invoke(b->interp) != LT_OK)
        throw_c_error(env, b, "inference failed");
}

/* Copies `bytes` bytes at `offset` of a direct buffer into a tensor; the runtime checks that
 * the count equals the tensor's size and that the tensor is not a constant. */
JNIEXPORT void JNICALL Java_org_litert_NativeBridge_copyToTensor(JNIEnv *env, jclass cls,
                                                                  jlong handle, jint tensor,
                                                                  jobject buffer, jint offset,
                                                                  jint bytes) {
    (void)cls;
    bridge *b = with_tensor(env, handle, tensor);
    if (b == NULL) return;
    const uint8_t *src = direct_range(env, buffer, offset, bytes);
    if (src == NULL) return;
    if (lt_interpreter_set_tensor(b->interp, tensor, src, (size_t)bytes) != LT_OK)
        throw_c_error(env, b, "cannot copy into the tensor");
}

JNIEXPORT void JNICALL Java_org_litert_NativeBridge_copyFromTensor(JNIEnv *env, jclass cls,
                                                                    jlong handle, jint tensor,
                                                                    jobject buffer,
                                                                    jint offset, jint bytes) {
    (void)cls;
    bridge *b = with_tensor(env, handle, tensor);
    if (b == NULL) return;
    uint8_t *dst = direct_range(env, buffer, offset, bytes);
    if (dst == NULL) return;
    if (lt_interpreter_get_tensor(b->interp, tensor, dst, (size_t)bytes) != LT_OK)
        throw_c_error(env, b, "cannot copy from the tensor");
}

JNIEXPORT jstring JNICALL Java_org_litert_NativeBridge_version(JNIEnv *env, jclass cls) {
    (void)cls;
    const char *v = lt_version();
    return (*env)->NewStringUTF(env, v != NULL ? v : "");
}
