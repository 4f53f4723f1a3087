/*
 * gemmac runtime: load a compiled Gemma 3 model file (.gmf) and run it.
 *
 * Pure C API. Objects are opaque handles named gemmac_<object>; functions are
 * gemmac_<object>_<verb>. Every fallible call returns a gemmac_status: NULL on
 * success, otherwise an object holding a code and a message that the caller
 * frees with gemmac_status_free. Outputs are returned through out-parameters and
 * are only written on success. No call aborts or exits the process.
 */
#ifndef GEMMAC_GEMMAC_H_
#define GEMMAC_GEMMAC_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Status ------------------------------------------------------------- */

typedef enum gemmac_status_code {
  GEMMAC_OK = 0,
  GEMMAC_INVALID_ARGUMENT = 1, /* a bad parameter, e.g. a token id outside the vocabulary */
  GEMMAC_NOT_FOUND = 2,        /* a file that does not exist */
  GEMMAC_DATA_LOSS = 3,        /* a corrupt or truncated model file */
  GEMMAC_UNIMPLEMENTED = 4,    /* an unknown format version or an unsupported CPU */
  GEMMAC_OUT_OF_RANGE = 5,     /* the context is full, a buffer is too small */
  GEMMAC_RESOURCE_EXHAUSTED = 6,
  GEMMAC_INTERNAL = 7,
} gemmac_status_code;

typedef struct gemmac_status_s* gemmac_status;

gemmac_status_code gemmac_status_get_code(gemmac_status status);
/* The message lives as long as the status; "" for NULL (success). */
const char* gemmac_status_get_message(gemmac_status status);
void gemmac_status_free(gemmac_status status);

/* ---- Model ---------------------------------------------------------------- */

typedef struct gemmac_model_s gemmac_model;

typedef struct gemmac_model_info {
  int32_t vocab_size;
  int32_t hidden_size;
  int32_t num_layers;
  int32_t max_context;
  int32_t sliding_window;
  int32_t bos_id;
  uint64_t weight_bytes; /* bytes of all weight tensors in the file: about what one decode step reads */
} gemmac_model_info;

/* Maps the file, verifies it (FlatBuffer verifier, identifier, version, segment
 * bounds) and prepares the executor. A model compiled with `--target T` names
 * its forward pass, libmodel_T.so: when that library is beside the file,
 * sessions run it; otherwise they run the portable executor. Fails with
 * GEMMAC_UNIMPLEMENTED when the model needs CPU features this CPU lacks, and
 * GEMMAC_DATA_LOSS when the library is present but does not fit the file. */
gemmac_status gemmac_model_load(const char* path, gemmac_model** out_model);

/* A compiled forward pass linked into the program: `gemmac compile --target
 * arm64-android` builds libmodel_arm64-android.a, whose one global symbol is
 * gemmac_compiled_model_get (declared here for apps that link it; its
 * contents are gemmac/compiled_abi.h's business). One such archive per
 * program: a second would define the same symbol. */
typedef struct gemmac_compiled_model gemmac_compiled_model;
const gemmac_compiled_model* gemmac_compiled_model_get(void);
/* gemmac_model_load with `compiled` (gemmac_compiled_model_get()) as the
 * forward pass instead of a library beside the file; fails with
 * GEMMAC_DATA_LOSS when it was built with another compile of the file. */
gemmac_status gemmac_model_load_linked(const char* path, const gemmac_compiled_model* compiled,
                                       gemmac_model** out_model);
/* The path of the compiled forward pass sessions run, or "portable". Owned by the model. */
const char* gemmac_model_get_executor(const gemmac_model* model);
void gemmac_model_free(gemmac_model* model);
gemmac_status gemmac_model_get_info(const gemmac_model* model, gemmac_model_info* out_info);

/* KV caches a session allocates: one per attention layer, a ring buffer of
 * window + prefill_chunk - 1 slots for sliding-window layers (as the compiler
 * planned them) and one slot per context position for global layers. */
typedef enum gemmac_kv_cache_kind {
  GEMMAC_KV_CACHE_FULL = 0,
  GEMMAC_KV_CACHE_RING = 1,
} gemmac_kv_cache_kind;

typedef struct gemmac_kv_cache_info {
  gemmac_kv_cache_kind kind;
  int32_t window;       /* 0: global attention */
  int32_t slots;        /* rows (token positions) held */
  int32_t row_elements; /* elements per key row and per value row (kv_heads x head_dim) */
  int32_t element_bytes; /* bytes per stored element: 4 (f32) or 2 (f16, options.kv_cache_f16) */
  uint64_t bytes;       /* keys + values: 2 x slots x row_elements x element_bytes */
} gemmac_kv_cache_info;

typedef struct gemmac_session_options gemmac_session_options;

/* Describes the caches gemmac_session_create(model, options) would allocate,
 * without allocating them (options NULL: the defaults; num_threads plays no
 * part). With caches == NULL only *out_count is set; if capacity is too small
 * the call fails with GEMMAC_OUT_OF_RANGE and *out_count still says how many.
 * Fails with GEMMAC_INVALID_ARGUMENT where gemmac_session_create would: bad
 * options, or ring caches too small for the prefill chunk. */
gemmac_status gemmac_model_get_kv_caches(const gemmac_model* model, const gemmac_session_options* options,
                                         gemmac_kv_cache_info* caches, size_t capacity, size_t* out_count);

/* Tokenizer embedded in the model file. Encodes `text` (UTF-8, text_length bytes)
 * without BOS; with ids == NULL only *out_count is set. If capacity is too small
 * the call fails with GEMMAC_OUT_OF_RANGE and *out_count still says how many. */
gemmac_status gemmac_model_tokenize(const gemmac_model* model, const char* text,
                                    size_t text_length, int32_t* ids, size_t capacity,
                                    size_t* out_count);
/* Decodes ids into UTF-8 text; same capacity convention (bytes, no terminator
 * counted; a terminator is written when it fits). */
gemmac_status gemmac_model_detokenize(const gemmac_model* model, const int32_t* ids,
                                      size_t count, char* text, size_t capacity,
                                      size_t* out_length);

/* ---- Chat template --------------------------------------------------------- */

typedef struct gemmac_chat_message {
  const char* role; /* "user", "model" ("assistant" is accepted), or "system" */
  const char* content;
} gemmac_chat_message;

/* Formats messages with the Gemma chat template ("<start_of_turn>user\n...<end_of_turn>\n");
 * a system message is folded into the first user turn as Gemma does. With
 * add_generation_prompt, ends with "<start_of_turn>model\n". Capacity convention as
 * gemmac_model_detokenize. BOS is not part of the text. */
gemmac_status gemmac_chat_template_apply(const gemmac_chat_message* messages, size_t count,
                                         int add_generation_prompt, char* text,
                                         size_t capacity, size_t* out_length);

/* ---- Session: one sequence with its KV cache ---------------------------------- */

typedef struct gemmac_session_s gemmac_session;

struct gemmac_session_options {
  int32_t max_context;   /* tokens; 0: the model's max_context */
  int32_t prefill_chunk; /* tokens processed per prefill step; 0: 128 */
  int32_t num_threads;   /* 0: one per core */
  int32_t kv_cache_f16;  /* 0: f32 K/V rows (default, exact); 1: IEEE f16 rows (half the KV memory, each
                            element rounded to nearest once when stored: measured 1.1e-3 max logit error
                            against transformers on the qat int4 model, 8e-6 with f32 rows) */
};

void gemmac_session_options_init(gemmac_session_options* options);
gemmac_status gemmac_session_create(gemmac_model* model, const gemmac_session_options* options,
                                    gemmac_session** out_session);
void gemmac_session_free(gemmac_session* session);
/* Forgets all tokens; the next token is at position 0. */
void gemmac_session_reset(gemmac_session* session);
/* Number of tokens in the KV cache (the position of the next token). */
size_t gemmac_session_get_position(const gemmac_session* session);

/* Appends `count` tokens, processing them in chunks of prefill_chunk. Writes the
 * logits of the last token (vocab_size floats) when last_logits is not NULL. */
gemmac_status gemmac_session_prefill(gemmac_session* session, const int32_t* ids, size_t count,
                                     float* last_logits);
/* Appends at most prefill_chunk tokens in one step and writes the logits of every
 * one of them (count x vocab_size floats, row-major): scoring and teacher forcing. */
gemmac_status gemmac_session_evaluate(gemmac_session* session, const int32_t* ids, size_t count,
                                      float* logits);
/* Appends one token; writes its logits (vocab_size floats). */
gemmac_status gemmac_session_decode(gemmac_session* session, int32_t id, float* logits);

/* ---- Sampler ------------------------------------------------------------------- */

typedef struct gemmac_sampler_s gemmac_sampler;

typedef struct gemmac_sampler_options {
  float temperature; /* <= 0: greedy (argmax, lowest id on ties) */
  int32_t top_k;     /* 0: no limit */
  float top_p;       /* 1: no limit */
  uint64_t seed;     /* the same seed gives the same tokens */
} gemmac_sampler_options;

void gemmac_sampler_options_init(gemmac_sampler_options* options); /* greedy */
gemmac_status gemmac_sampler_create(const gemmac_sampler_options* options,
                                    gemmac_sampler** out_sampler);
void gemmac_sampler_free(gemmac_sampler* sampler);
gemmac_status gemmac_sampler_sample(gemmac_sampler* sampler, const float* logits,
                                    size_t vocab_size, int32_t* out_id);

/* ---- Generation ---------------------------------------------------------------- */

/* Called for every generated token with the text it adds (UTF-8, may be empty while
 * a multi-byte character is incomplete). Return nonzero to stop generating. */
typedef int (*gemmac_token_callback)(void* user_data, int32_t id, const char* text,
                                     size_t text_length);

typedef struct gemmac_generate_options {
  int32_t max_new_tokens;         /* default 128 */
  gemmac_sampler_options sampler; /* default greedy */
  int chat;                       /* text prompts: wrap in a Gemma user turn */
  gemmac_token_callback on_token; /* may be NULL */
  void* user_data;
} gemmac_generate_options;

void gemmac_generate_options_init(gemmac_generate_options* options);

/* Prefills `prompt_ids` after what the session holds, then samples until a stop id
 * (the model's stop_ids: <eos>, <end_of_turn>), max_new_tokens, or the callback says
 * stop. Generated ids (without the stop id) go to out_ids (may be NULL) up to
 * capacity; *out_count (may be NULL) is the number generated. */
gemmac_status gemmac_session_generate(gemmac_session* session, const int32_t* prompt_ids,
                                      size_t prompt_count, const gemmac_generate_options* options,
                                      int32_t* out_ids, size_t capacity, size_t* out_count);
/* Tokenizes `prompt` (with BOS when the session is empty, and the chat template when
 * options->chat) and calls gemmac_session_generate. */
gemmac_status gemmac_session_generate_text(gemmac_session* session, const char* prompt,
                                           const gemmac_generate_options* options,
                                           size_t* out_count);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GEMMAC_GEMMAC_H_ */
