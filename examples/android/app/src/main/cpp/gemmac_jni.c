/* JNI bridge: the native methods of dev.gemmac.GemmacNative over the gemmac C
 * API (gemmac/gemmac.h), and nothing else of the runtime.
 *
 * Every method leaves Java in a defined state: a failed gemmac_status becomes a
 * GemmacException with the status's code and message, a null argument a
 * NullPointerException, a closed handle an IllegalStateException. Text is
 * converted here between Java's UTF-16 and the UTF-8 of the C API, because
 * JNI's *StringUTF* functions speak "modified UTF-8": they would encode an
 * emoji in a prompt as two 3-byte surrogates that the tokenizer does not know,
 * and Android's CheckJNI aborts on a 4-byte sequence in generated text.
 */
#include <jni.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemmac/gemmac.h"

/* What GemmacNative.handle points to. */
typedef struct bridge {
  gemmac_model* model;
  gemmac_session* session;
  /* Set while generate runs. The Java methods are synchronized, so only the
   * generating thread itself (from its token callback) can see it set. */
  int generating;
} bridge;

/* Java members the bridge uses, looked up once when the library is loaded. */
static struct {
  jfieldID handle;          /* GemmacNative.handle */
  jmethodID on_token;       /* GemmacNative.TokenCallback.onToken(int, String) */
  jclass exception;         /* GemmacException, a global reference */
  jmethodID exception_init; /* GemmacException(int, String) */
} java;

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM* vm, void* reserved) {
  (void)reserved;
  JNIEnv* env;
  if ((*vm)->GetEnv(vm, (void**)&env, JNI_VERSION_1_6) != JNI_OK) return JNI_ERR;
  /* Each failed lookup leaves its NoClassDefFoundError or NoSuchMethodError
   * pending, which System.loadLibrary throws. */
  jclass native_class = (*env)->FindClass(env, "dev/gemmac/GemmacNative");
  if (native_class == NULL) return JNI_ERR;
  java.handle = (*env)->GetFieldID(env, native_class, "handle", "J");
  if (java.handle == NULL) return JNI_ERR;
  jclass callback_class = (*env)->FindClass(env, "dev/gemmac/GemmacNative$TokenCallback");
  if (callback_class == NULL) return JNI_ERR;
  java.on_token = (*env)->GetMethodID(env, callback_class, "onToken", "(ILjava/lang/String;)Z");
  if (java.on_token == NULL) return JNI_ERR;
  jclass exception_class = (*env)->FindClass(env, "dev/gemmac/GemmacException");
  if (exception_class == NULL) return JNI_ERR;
  java.exception_init = (*env)->GetMethodID(env, exception_class, "<init>", "(ILjava/lang/String;)V");
  if (java.exception_init == NULL) return JNI_ERR;
  java.exception = (*env)->NewGlobalRef(env, exception_class);
  if (java.exception == NULL) return JNI_ERR;
  return JNI_VERSION_1_6;
}

/* ---- Exceptions ------------------------------------------------------------ */

/* Throws a new `class_name` (a JDK class) with an ASCII message. */
static void throw_java(JNIEnv* env, const char* class_name, const char* message) {
  jclass exception_class = (*env)->FindClass(env, class_name);
  if (exception_class != NULL) (*env)->ThrowNew(env, exception_class, message);
}

static void throw_out_of_memory(JNIEnv* env) {
  throw_java(env, "java/lang/OutOfMemoryError", "gemmac_jni: out of memory");
}

/* Throws "<what> <problem>" as a `class_name`, e.g. "prompt is null". */
static void throw_argument(JNIEnv* env, const char* class_name, const char* what, const char* problem) {
  char message[128];
  snprintf(message, sizeof message, "%s %s", what, problem);
  throw_java(env, class_name, message);
}

/* ---- Text: UTF-8 <-> UTF-16 -------------------------------------------------- */

/* Decodes the UTF-8 sequence at s[0..n) into *c and returns its length in
 * bytes, or 0 when it is malformed: a stray or truncated byte, an overlong
 * form, a surrogate, or a value above U+10FFFF. */
static size_t decode_utf8(const unsigned char* s, size_t n, uint32_t* c) {
  static const uint32_t smallest[5] = {0, 0, 0x80, 0x800, 0x10000};
  size_t length = s[0] < 0x80 ? 1 : s[0] < 0xC0 ? 0 : s[0] < 0xE0 ? 2 : s[0] < 0xF0 ? 3 : s[0] < 0xF8 ? 4 : 0;
  if (length == 0 || length > n) return 0;
  if (length == 1) {
    *c = s[0];
    return 1;
  }
  uint32_t value = s[0] & (0x7Fu >> length);
  for (size_t k = 1; k < length; k++) {
    if ((s[k] & 0xC0) != 0x80) return 0;
    value = value << 6 | (s[k] & 0x3Fu);
  }
  if (value < smallest[length] || (value >= 0xD800 && value <= 0xDFFF) || value > 0x10FFFF) return 0;
  *c = value;
  return length;
}

/* Writes `c` (at most U+10FFFF, not a surrogate) as UTF-8; returns the bytes written. */
static size_t encode_utf8(uint32_t c, char* out) {
  if (c < 0x80) {
    out[0] = (char)c;
    return 1;
  }
  if (c < 0x800) {
    out[0] = (char)(0xC0 | c >> 6);
    out[1] = (char)(0x80 | (c & 0x3F));
    return 2;
  }
  if (c < 0x10000) {
    out[0] = (char)(0xE0 | c >> 12);
    out[1] = (char)(0x80 | (c >> 6 & 0x3F));
    out[2] = (char)(0x80 | (c & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | c >> 18);
  out[1] = (char)(0x80 | (c >> 12 & 0x3F));
  out[2] = (char)(0x80 | (c >> 6 & 0x3F));
  out[3] = (char)(0x80 | (c & 0x3F));
  return 4;
}

/* A Java string of `length` UTF-8 bytes; each malformed byte becomes U+FFFD.
 * NULL, with an exception pending, when memory runs out. */
static jstring new_string(JNIEnv* env, const char* text, size_t length) {
  /* Each UTF-16 unit comes from at least one byte (a 4-byte character gives two). */
  jchar* units = malloc((length > 0 ? length : 1) * sizeof *units);
  if (units == NULL) {
    throw_out_of_memory(env);
    return NULL;
  }
  const unsigned char* bytes = (const unsigned char*)text;
  size_t count = 0;
  for (size_t i = 0; i < length;) {
    uint32_t c;
    size_t used = decode_utf8(bytes + i, length - i, &c);
    if (used == 0) {
      c = 0xFFFD;
      used = 1;
    }
    i += used;
    if (c >= 0x10000) {
      units[count++] = (jchar)(0xD800 + ((c - 0x10000) >> 10));
      units[count++] = (jchar)(0xDC00 + ((c - 0x10000) & 0x3FF));
    } else {
      units[count++] = (jchar)c;
    }
  }
  jstring string = (*env)->NewString(env, units, (jsize)count);
  free(units);
  return string;
}

/* The UTF-8 of a Java string, NUL-terminated for the C API; the caller frees
 * it. An unpaired surrogate becomes U+FFFD. NULL, with an exception pending,
 * when `string` is null, holds U+0000 (which would cut the C string short) or
 * memory runs out; `what` names the argument in the message. */
static char* utf8_from_string(JNIEnv* env, jstring string, const char* what) {
  if (string == NULL) {
    throw_argument(env, "java/lang/NullPointerException", what, "is null");
    return NULL;
  }
  jsize count = (*env)->GetStringLength(env, string);
  const jchar* units = (*env)->GetStringChars(env, string, NULL);
  if (units == NULL) return NULL; /* OutOfMemoryError pending */
  /* A unit gives at most 3 bytes (a surrogate pair gives 4 from two). */
  char* text = malloc((size_t)count * 3 + 1);
  if (text == NULL) {
    (*env)->ReleaseStringChars(env, string, units);
    throw_out_of_memory(env);
    return NULL;
  }
  size_t length = 0;
  int has_nul = 0;
  for (jsize i = 0; i < count; i++) {
    uint32_t c = units[i];
    if (c >= 0xD800 && c < 0xDC00 && i + 1 < count && units[i + 1] >= 0xDC00 && units[i + 1] < 0xE000)
      c = 0x10000 + ((c - 0xD800) << 10) + (units[++i] - 0xDC00u);
    else if (c >= 0xD800 && c < 0xE000)
      c = 0xFFFD;
    has_nul |= c == 0;
    length += encode_utf8(c, text + length);
  }
  (*env)->ReleaseStringChars(env, string, units);
  if (has_nul) {
    free(text);
    throw_argument(env, "java/lang/IllegalArgumentException", what, "contains U+0000");
    return NULL;
  }
  text[length] = '\0';
  return text;
}

/* ---- Status -> GemmacException ------------------------------------------------ */

/* Throws a GemmacException with the code and message of `status` (not NULL), and frees it. */
static void throw_status(JNIEnv* env, gemmac_status status) {
  const char* message = gemmac_status_get_message(status);
  jstring text = new_string(env, message, strlen(message));
  if (text != NULL) {
    jobject exception = (*env)->NewObject(env, java.exception, java.exception_init,
                                          (jint)gemmac_status_get_code(status), text);
    if (exception != NULL) (*env)->Throw(env, exception);
  }
  gemmac_status_free(status);
}

/* ---- Native methods ------------------------------------------------------------ */

static void free_bridge(bridge* b) {
  gemmac_session_free(b->session);
  gemmac_model_free(b->model);
  free(b);
}

/* The bridge of an open GemmacNative that is not generating; otherwise NULL
 * with an IllegalStateException pending. */
static bridge* get_bridge(JNIEnv* env, jobject self) {
  bridge* b = (bridge*)(intptr_t)(*env)->GetLongField(env, self, java.handle);
  const char* problem = b == NULL      ? "GemmacNative is closed"
                        : b->generating ? "GemmacNative is generating: a token callback cannot call it"
                                        : NULL;
  if (problem == NULL) return b;
  throw_java(env, "java/lang/IllegalStateException", problem);
  return NULL;
}

JNIEXPORT jlong JNICALL Java_dev_gemmac_GemmacNative_open(JNIEnv* env, jclass cls, jstring model_path,
                                                          jint max_context, jint num_threads) {
  (void)cls;
  char* path = utf8_from_string(env, model_path, "modelPath");
  if (path == NULL) return 0;
  bridge* b = calloc(1, sizeof *b);
  if (b == NULL) {
    free(path);
    throw_out_of_memory(env);
    return 0;
  }
#ifdef GEMMAC_LINKED_MODEL
  /* The app links the model's forward pass (libmodel_arm64-android.a). */
  gemmac_status status = gemmac_model_load_linked(path, gemmac_compiled_model_get(), &b->model);
#else
  gemmac_status status = gemmac_model_load(path, &b->model);
#endif
  free(path);
  if (status == NULL) {
    gemmac_session_options options;
    gemmac_session_options_init(&options);
    options.max_context = max_context;
    options.num_threads = num_threads;
    status = gemmac_session_create(b->model, &options, &b->session);
  }
  if (status != NULL) {
    throw_status(env, status);
    free_bridge(b);
    return 0;
  }
  return (jlong)(intptr_t)b;
}

/* One generate call, as on_token sees it. */
typedef struct generation {
  JNIEnv* env; /* valid in on_token: the C API calls it on the thread that called generate */
  jobject callback; /* the Java TokenCallback, or NULL */
  jint* ids;        /* the ids generated so far, for the result */
  size_t count;
  size_t capacity;
} generation;

/* gemmac_token_callback: records the id and hands the piece to the Java
 * callback. Stops generation (nonzero) when the callback returns false or
 * throws, or memory runs out; the exception stays pending for generate. The
 * final call with id -1 carries only text held back at the end. */
static int on_token(void* user_data, int32_t id, const char* text, size_t length) {
  generation* g = user_data;
  JNIEnv* env = g->env;
  if (id >= 0 && g->count == g->capacity) {
    size_t capacity = g->capacity > 0 ? 2 * g->capacity : 64;
    jint* ids = realloc(g->ids, capacity * sizeof *ids);
    if (ids == NULL) {
      throw_out_of_memory(env);
      return 1;
    }
    g->ids = ids;
    g->capacity = capacity;
  }
  if (id >= 0) g->ids[g->count++] = id;
  if (g->callback == NULL) return 0;
  jstring piece = new_string(env, text, length);
  if (piece == NULL) return 1;
  jboolean go_on = (*env)->CallBooleanMethod(env, g->callback, java.on_token, (jint)id, piece);
  /* One local reference per token would overflow the table (512 entries on
   * Android) in a long generation: the call does not return to Java between tokens. */
  (*env)->DeleteLocalRef(env, piece);
  return (*env)->ExceptionCheck(env) || !go_on;
}

JNIEXPORT jintArray JNICALL Java_dev_gemmac_GemmacNative_generate(
    JNIEnv* env, jobject self, jstring prompt, jboolean chat, jint max_new_tokens, jfloat temperature,
    jint top_k, jfloat top_p, jlong seed, jobject callback) {
  bridge* b = get_bridge(env, self);
  if (b == NULL) return NULL;
  char* text = utf8_from_string(env, prompt, "prompt");
  if (text == NULL) return NULL;

  gemmac_generate_options options;
  gemmac_generate_options_init(&options);
  options.max_new_tokens = max_new_tokens;
  options.chat = chat != JNI_FALSE;
  options.sampler.temperature = temperature;
  options.sampler.top_k = top_k;
  options.sampler.top_p = top_p;
  options.sampler.seed = (uint64_t)seed;
  generation g = {env, callback, NULL, 0, 0};
  /* on_token runs even without a Java callback: it is how the ids of a text
   * prompt's generation come back (gemmac_session_generate_text reports only
   * their count). */
  options.on_token = on_token;
  options.user_data = &g;

  gemmac_session_reset(b->session);
  b->generating = 1;
  gemmac_status status = gemmac_session_generate_text(b->session, text, &options, NULL);
  b->generating = 0;
  free(text);

  jintArray ids = NULL;
  if ((*env)->ExceptionCheck(env)) /* from the callback or on_token: it wins */
    gemmac_status_free(status);
  else if (status != NULL)
    throw_status(env, status);
  else if ((ids = (*env)->NewIntArray(env, (jsize)g.count)) != NULL)
    (*env)->SetIntArrayRegion(env, ids, 0, (jsize)g.count, g.ids);
  free(g.ids);
  return ids;
}

JNIEXPORT jstring JNICALL Java_dev_gemmac_GemmacNative_executor(JNIEnv* env, jobject self) {
  bridge* b = get_bridge(env, self);
  if (b == NULL) return NULL;
  const char* executor = gemmac_model_get_executor(b->model);
  return new_string(env, executor, strlen(executor));
}

JNIEXPORT void JNICALL Java_dev_gemmac_GemmacNative_close(JNIEnv* env, jobject self) {
  if ((*env)->GetLongField(env, self, java.handle) == 0) return; /* closed already */
  bridge* b = get_bridge(env, self); /* refuses while generating */
  if (b == NULL) return;
  (*env)->SetLongField(env, self, java.handle, 0);
  free_bridge(b);
}
