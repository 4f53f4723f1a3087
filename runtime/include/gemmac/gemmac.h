/*
 * gemmac runtime: load a compiled Gemma 3 model file (.gmf) and run it.
 *
 * Pure C API. Objects are opaque handles named gemmac_<object>; functions are
 * gemmac_<object>_<verb>. Every fallible call returns a gemmac_status: NULL on
 * success, otherwise an object holding a code and a message that the caller
 * frees with gemmac_status_free. Outputs are returned through out-parameters and
 * are only written on success. No call aborts or exits the process, and no C++
 * exception crosses the API: running out of memory fails with
 * GEMMAC_RESOURCE_EXHAUSTED naming the call (its message may be empty when even
 * that could not be allocated), anything unexpected with GEMMAC_INTERNAL.
 * Functions returning void or a value cannot fail: the _free functions and
 * gemmac_session_reset / cancel ignore NULL, the _init functions ignore NULL,
 * and getters return 0 or "" for NULL. (One gap: the system sentencepiece is
 * built without exceptions, so memory running out inside it, while
 * gemmac_model_load parses the embedded tokenizer or a call encodes or decodes
 * text, ends the process.)
 *
 * Threads. A model is read-only once loaded: calls taking a const model
 * (get_info, get_executor, get_kv_caches, tokenize, detokenize, grammar
 * creation) and gemmac_session_create may run on any threads at once. Sessions
 * of one model run on different threads at once; with f32/bf16 weights
 * (XNNPACK products, which keep state per run) their forward steps take turns
 * under a model-wide lock, with quantized weights they run in parallel. One
 * session is used by one thread at a time, except gemmac_session_cancel, which
 * any thread (or a signal handler) may call while the session is alive. A
 * grammar may be used by generate calls on several threads at once. A sampler
 * and a status belong to one thread at a time. Freeing an object while another
 * thread uses it is the caller's error; gemmac_model_free, gemmac_session_free
 * and gemmac_grammar_free of objects sharing a model may run on different
 * threads (the model's reference count is atomic).
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
  GEMMAC_CANCELLED = 8, /* gemmac_session_cancel stopped a generate call */
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
 * bounds, plan, the embedded tokenizer's pieces all inside the vocabulary) and
 * prepares the executor. A model compiled with `--target T` names its forward
 * pass, libmodel_T.so: when that library is beside the file (a bare file name,
 * looked up in the file's directory only), sessions run it; otherwise they run
 * the portable executor. Fails with GEMMAC_DATA_LOSS for a corrupt file or a
 * library that is present but does not fit it, and GEMMAC_UNIMPLEMENTED when
 * the model needs CPU features this CPU lacks. The library binds to the file
 * it was compiled from only: it carries the SHA-256 of the file's bytes before
 * the weights (plan, tables, config, tokenizer), which this call recomputes
 * (~15 ms for Gemma 3 270M's 5 MB; not the weights). */
gemmac_status gemmac_model_load(const char* path, gemmac_model** out_model);

/* A compiled forward pass linked into the program: `gemmac compile --target
 * arm64-android` builds libmodel_arm64-android.a, whose one global symbol is
 * gemmac_compiled_model_get (declared here for apps that link it; its
 * contents are gemmac/compiled_abi.h's business). One such archive per
 * program: a second would define the same symbol. */
typedef struct gemmac_compiled_model gemmac_compiled_model;
const gemmac_compiled_model* gemmac_compiled_model_get(void);
/* gemmac_model_load with `compiled` (gemmac_compiled_model_get()) as the
 * forward pass instead of a library beside the file, bound the same way: fails
 * with GEMMAC_DATA_LOSS when the file is not the one it was compiled from. */
gemmac_status gemmac_model_load_linked(const char* path, const gemmac_compiled_model* compiled,
                                       gemmac_model** out_model);
/* The path of the compiled forward pass sessions run, or "portable". Owned by the model. */
const char* gemmac_model_get_executor(const gemmac_model* model);
/* Drops the caller's reference: the model is freed once its sessions and
 * grammars are freed too (each holds a reference), so they may outlive this
 * call; the handle itself must not be used after it. */
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
/* Forgets all tokens, the conversation (gemmac_session_chat) and a pending
 * cancel; the next token is at position 0. */
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

/* ---- Batch: several sessions in one step ----------------------------------------- */

/* Decoding one token reads every weight once: a step that runs the tokens of
 * several sessions together reads them once for all, so serving concurrent
 * requests costs little more than serving one (a server's continuous batching).
 * A batch holds the activations of up to max_tokens rows and a thread pool;
 * each session keeps its own KV caches, position and tokens, and runs on its
 * own between batch steps (prefill, generate, ...) as before. Sessions of any
 * options (context, prefill_chunk, K/V type) of the batch's model may share a
 * step. The batch holds a reference to the model. A batch is used by one
 * thread at a time, and a session in a step by no other thread. */
typedef struct gemmac_batch_s gemmac_batch;

/* max_tokens: the most rows (all sessions' tokens together) one step runs,
 * >= 1; num_threads 0: one per core. */
gemmac_status gemmac_batch_create(gemmac_model* model, size_t max_tokens, size_t num_threads,
                                  gemmac_batch** out_batch);
void gemmac_batch_free(gemmac_batch* batch);

typedef struct gemmac_batch_entry {
  gemmac_session* session;
  const int32_t* ids; /* count tokens appended to the session */
  size_t count;       /* 1 to the session's prefill_chunk, within its context */
  float* logits;      /* vocab_size floats: the logits of the last of the ids; NULL: not needed */
} gemmac_batch_entry;

/* One step of `count` entries of distinct sessions: as gemmac_session_evaluate
 * of each, but only the last token's logits and one pass over the weights for
 * all. The logits equal those of the sessions stepped alone up to summation
 * order (rows go through the prefill kernels). Everything is checked before
 * anything runs: the entries' tokens together at most max_tokens, ids inside
 * the vocabulary, each session's context (GEMMAC_OUT_OF_RANGE naming the
 * entry); a failed step leaves every session as it was (not the logits
 * buffers). When the entries' logits buffers are consecutive rows of one
 * array (in entry order), the step writes them in place; otherwise it copies
 * each (vocab_size floats). */
gemmac_status gemmac_batch_step(gemmac_batch* batch, const gemmac_batch_entry* entries, size_t count);

/* Runs task(context, i) for every i < count on the batch's threads (the
 * calling one among them), returning when all have run: the caller's
 * per-sequence work between steps, e.g. sampling each entry's logits, without
 * threads of its own competing with the batch's for the cores. Tasks run
 * concurrently and must not throw; not while a step of the batch runs.
 * NULL batch or task: GEMMAC_INVALID_ARGUMENT. */
gemmac_status gemmac_batch_parallel_for(gemmac_batch* batch, void (*task)(void* context, size_t i), void* context,
                                        size_t count);

/* Int8 activations (an approximate mode, off by default): when `enable` is
 * nonzero, the batch's later steps quantize the input rows of every q4g32 and
 * q8g32 matrix product, the LM head included, to int8 per group of 32 inputs
 * (scale max|x| / 127, round to nearest even) and run integer dot products
 * (AVX-512 VNNI where the CPU has it, else portable C). f32 and bf16
 * products, norms, attention and the KV caches are unchanged, and so is a
 * model without quantized weights. Each row is quantized with its own
 * scales, so a session's logits never depend on the other rows of a step
 * through the quantization (stepped in a batch of 4 or alone, its int8
 * logits are equal bit for bit on a q4 model).
 *
 * What it buys: a step of many rows is limited by multiply-adds, and an
 * integer dot product instruction does 4x as many as an f32 FMA. Measured
 * on Zen 5 (one thread, the QAT 270M model, one token per session): 16
 * sessions a step ~1.6x the f32 mode's tokens/s, 4 sessions ~1.4x; one
 * session a step (bound by reading the weights) gains nothing.
 * What it costs: on the QAT Gemma 3 270M (q4g32 weights and head) the
 * last-position logits of four prompts (6 to 1300 tokens) are within
 * 0.035..0.062 of float64 transformers' (the f32 mode: 1.4e-6..7.9e-6;
 * these logits are ~3.5 with top-1 gaps of ~0.15), every argmax equal; over
 * 18 decode steps of two prompts, int8 moved logits by up to 0.062 from the
 * f32 mode's and changed one argmax, between near-tied tokens.
 * Memory: where the CPU has AVX-512 VNNI, the first enable for a model
 * repacks its quantized weights into the kernel's layout (a second copy of
 * the same size, 144 MiB for the 270M, kept until the model is freed and
 * shared by all its batches; GEMMAC_RESOURCE_EXHAUSTED when it cannot be
 * allocated).
 * enable 0 returns to the exact mode. NULL batch: GEMMAC_INVALID_ARGUMENT. */
gemmac_status gemmac_batch_set_int8_activations(gemmac_batch* batch, int enable);

/* ---- Sampler ------------------------------------------------------------------- */

typedef struct gemmac_sampler_s gemmac_sampler;

typedef struct gemmac_sampler_options {
  float temperature; /* <= 0: greedy (argmax, lowest id on ties) */
  int32_t top_k;     /* 0: no limit */
  float top_p;       /* 1: no limit */
  uint64_t seed;     /* the same seed gives the same tokens */
  float min_p;       /* in [0, 1]; 0 (default): no limit. Keeps the tokens whose probability
                        (softmax of the logits before temperature) is at least min_p times the
                        top token's, i.e. logit >= max logit + ln(min_p), as llama.cpp's min-p;
                        applied with top_k, before top_p */
} gemmac_sampler_options;

void gemmac_sampler_options_init(gemmac_sampler_options* options); /* greedy */
gemmac_status gemmac_sampler_create(const gemmac_sampler_options* options,
                                    gemmac_sampler** out_sampler);
void gemmac_sampler_free(gemmac_sampler* sampler);
gemmac_status gemmac_sampler_sample(gemmac_sampler* sampler, const float* logits,
                                    size_t vocab_size, int32_t* out_id);

/* ---- Grammar: constrained decoding ---------------------------------------------- */

/* A grammar that generated text must follow, bound to a model's vocabulary
 * (gemmac_generate_options.grammar). Generation under it only ever picks tokens
 * whose bytes keep the text a prefix of a sentence of the grammar, never special
 * tokens, and a stop id only where the text is complete; it ends by itself when
 * nothing may follow. Greedy takes the unconstrained argmax whenever the grammar
 * allows it; sampling samples from the masked logits. A grammar may be shared by
 * generate calls on several threads. */
typedef struct gemmac_grammar_s gemmac_grammar;

/* From a JSON Schema (text, length bytes): output is JSON that validates. Supported:
 * type (one or a list), properties, required, additionalProperties, items,
 * minItems, maxItems, minLength, maxLength, minimum, maximum, exclusiveMinimum,
 * exclusiveMaximum, enum, const, anyOf, allOf of one schema, nested schemas,
 * boolean schemas; annotations (title, description, format, ...) are ignored.
 * The output is a subset of what validates: properties in the schema's order,
 * no properties beyond the declared ones (unless none are declared), at most 3
 * whitespace characters between tokens, at most 16 digits per integer part, and a
 * "number" with bounds written as an integer within them. Other constraining
 * keywords (pattern, multipleOf, oneOf, $ref, ...) fail with GEMMAC_UNIMPLEMENTED;
 * text that is not JSON fails with GEMMAC_INVALID_ARGUMENT naming line:column, a
 * bad schema names its JSON pointer. */
gemmac_status gemmac_grammar_create_from_json_schema(const gemmac_model* model, const char* schema,
                                                     size_t length, gemmac_grammar** out_grammar);
/* From llama.cpp GBNF text: `name ::= ...` rules (start: root), alternation |,
 * sequences, "literals", [character classes] and [^negated] ones, `.`, groups
 * ( ), repetition * + ? {m} {m,} {m,n}, # comments. Errors name line:column. */
gemmac_status gemmac_grammar_create_from_gbnf(const gemmac_model* model, const char* text, size_t length,
                                              gemmac_grammar** out_grammar);
void gemmac_grammar_free(gemmac_grammar* grammar);

/* What the grammar cost in the last generate call that used it. */
typedef struct gemmac_grammar_stats {
  int64_t tokens;       /* tokens picked under the grammar */
  int64_t masks;        /* of them, how many needed the mask over the whole vocabulary
                           (the argmax was not allowed, or sampling) */
  int64_t masks_cached; /* of the masks, how many were reused from an earlier state */
  double median_ms;     /* grammar time per token (check, mask, advance; not the sampler) */
  double max_ms;
} gemmac_grammar_stats;

gemmac_status gemmac_grammar_get_stats(gemmac_grammar* grammar, gemmac_grammar_stats* out_stats);

/* ---- Generation ---------------------------------------------------------------- */

/* Called for every generated token with the text it adds (UTF-8; may be empty while
 * a multi-byte character is incomplete or the text may be the start of a stop
 * string). When generation ends with text held back, it is called once more with
 * id -1 and that text (an unfinished character as U+FFFD per byte, as
 * gemmac_model_detokenize writes it): the texts joined equal the generated text.
 * Return nonzero to stop generating (ignored on the id -1 call). */
typedef int (*gemmac_token_callback)(void* user_data, int32_t id, const char* text,
                                     size_t text_length);

typedef struct gemmac_generate_options {
  int32_t max_new_tokens;         /* default 128 */
  gemmac_sampler_options sampler; /* default greedy */
  int chat;                       /* text prompts: wrap in a Gemma user turn */
  gemmac_token_callback on_token; /* may be NULL */
  void* user_data;
  /* Stop strings (UTF-8, non-empty; NULL when stop_string_count is 0): generation
   * stops as soon as the generated text contains one. The text from the first
   * stop string on is neither streamed nor returned; the tokens that spelled it
   * stay in the session and in the generated ids. */
  const char* const* stop_strings;
  size_t stop_string_count;
  /* Penalties on the logits before sampling, over the distinct tokens among the
   * last penalty_last_n the session holds (prompt and generated alike), as
   * llama.cpp defines them: repeat_penalty r (> 0; 1, the default: off) divides
   * a positive logit by r and multiplies a negative one by r (the CTRL paper's
   * rule); presence_penalty p (0, the default: off) subtracts p from the logit
   * of each such token once, however often it occurs; frequency_penalty f (0,
   * the default: off) subtracts f times the number of its occurrences. */
  float repeat_penalty;
  float presence_penalty;
  float frequency_penalty;
  int32_t penalty_last_n; /* >= 0; default 64; 0: no penalties */
  /* NULL (default): unconstrained. Otherwise the text follows this grammar (created
   * for the session's model); when generation ends before the text is complete
   * (max_new_tokens, a full context, a stop string or the callback), the call fails
   * with GEMMAC_OUT_OF_RANGE and still writes out_ids and *out_count. */
  gemmac_grammar* grammar;
} gemmac_generate_options;

void gemmac_generate_options_init(gemmac_generate_options* options);

/* Prefills `prompt_ids` after what the session holds, then samples until a stop id
 * (the model's stop_ids: <eos>, <end_of_turn>), a stop string, max_new_tokens, a
 * full context, or the callback says stop. Every generated id is appended to the
 * session, and so is a sampled stop id (when the context has room), so that a
 * later call continues after it. Generated ids (without the stop id) go to
 * out_ids (may be NULL) up to capacity; *out_count (may be NULL) is the number
 * generated. Fails with GEMMAC_CANCELLED when gemmac_session_cancel asked it to
 * stop (the tokens generated until then stay in the session). */
gemmac_status gemmac_session_generate(gemmac_session* session, const int32_t* prompt_ids,
                                      size_t prompt_count, const gemmac_generate_options* options,
                                      int32_t* out_ids, size_t capacity, size_t* out_count);
/* Tokenizes `prompt` (with BOS when the session is empty, and the chat template when
 * options->chat) and calls gemmac_session_generate. With options->chat on a session
 * that holds tokens, the prompt continues the conversation as the template writes
 * it: the model's turn is closed ("<end_of_turn>", unless the session already ends
 * with it) and followed by "\n" before the new user turn. */
gemmac_status gemmac_session_generate_text(gemmac_session* session, const char* prompt,
                                           const gemmac_generate_options* options,
                                           size_t* out_count);

/* Asks the generate call running on `session` to stop before its next token; it
 * then fails with GEMMAC_CANCELLED. Callable from any thread and from a signal
 * handler (it only sets an atomic flag). A cancel that finds no call running
 * cancels the next one; gemmac_session_reset clears it. NULL is ignored. */
void gemmac_session_cancel(gemmac_session* session);

/* ---- Chat: a conversation kept in a session ------------------------------------ */

typedef struct gemmac_chat_options {
  const char* system_prompt; /* NULL or "": none; folded into the first user turn */
  /* 0 (default): a turn whose transcript, new message and max_new_tokens (+ 2 to
   * close the reply) exceed max_context fails with GEMMAC_OUT_OF_RANGE naming the
   * numbers. 1: the oldest user/model turn pairs after the system prompt are
   * dropped until it fits (the kept transcript is prefilled again). */
  int drop_old_turns;
} gemmac_chat_options;

void gemmac_chat_options_init(gemmac_chat_options* options);
/* Starts a conversation: forgets what the session holds (gemmac_session_reset)
 * and keeps a copy of the options. gemmac_session_chat without it starts a
 * conversation with the defaults. */
gemmac_status gemmac_session_chat_begin(gemmac_session* session, const gemmac_chat_options* options);
/* One turn: `message` from the user, then the model's reply, generated with
 * `options` (its chat flag and stop ids play no part: the turn ends at a stop id,
 * a stop string, max_new_tokens or the callback). The KV cache is kept across
 * turns: afterwards the session holds exactly BOS + the chat template's text of
 * the whole conversation (each turn ending "<end_of_turn>\n"), so a turn prefills
 * only its new tokens. Where the reply's tokens differ from the template's
 * tokenization of its text (an untrimmed space, a stop string, a non-canonical
 * spelling) they are replaced by it, going back at most prefill_chunk tokens and
 * otherwise prefilling the transcript again. The reply's text goes to `reply`
 * (may be NULL) with gemmac_model_detokenize's capacity convention; when it does
 * not fit the turn still counts and the call fails with GEMMAC_OUT_OF_RANGE.
 * A failed or cancelled turn leaves the conversation as it was. */
gemmac_status gemmac_session_chat(gemmac_session* session, const char* message,
                                  const gemmac_generate_options* options, char* reply,
                                  size_t capacity, size_t* out_length);

/* ---- Classification ------------------------------------------------------------ */

/* Scores label_count candidate continuations ("labels") of a prompt: routing,
 * intent detection, multiple choice. The prompt is appended to what the session
 * holds and each label's tokens are scored after it by teacher forcing.
 *
 * What is computed. The labels' token sequences form a trie whose nodes are
 * their distinct prefixes; the children C(u) of prefix u are the tokens that
 * extend it to a longer prefix of some label. z_u(t) is the model's logit of
 * token t after the prompt and u (what gemmac_session_evaluate gives in column
 * t, final softcap included), and
 *   q(t | u) = exp(z_u(t)) / sum over c in C(u) of exp(z_u(c)),
 * the model's next-token distribution after u restricted to the tokens some
 * label allows there. For label i of tokens t_1..t_n (prefixes u_0 = empty, ..,
 * u_{n-1}):
 *   out_log_probs[i]     = sum over k of log q(t_k | u_{k-1})   (natural log)
 *   out_probabilities[i] = exp(out_log_probs[i]) / sum over j of exp(out_log_probs[j])
 * so single-token labels get the softmax of their full-vocabulary logits over
 * the label tokens alone. Unless a label is a prefix of another, the
 * exp(out_log_probs) already sum to 1 and equal out_probabilities; a label that
 * is a prefix of another is scored by its own tokens only (nothing weighs "the
 * label ends here" against going on), and only out_probabilities sum to 1: e.g.
 * " bill" and " billing" (" bill" "ing") score the same when "ing" is the only
 * continuation of " bill" among the labels.
 * These are not the full-vocabulary probabilities P(label | prompt): their
 * normalizers need every row of the LM head, which is what this avoids. Each
 * q(t | u) >= the full-vocabulary p(t | u), so out_log_probs[i] >= log P(label_i
 * | prompt).
 *
 * Cost: the prompt is prefilled once; each distinct prefix that has children
 * runs through the model once (a path of such prefixes in one step), and the
 * head computes |C(u)| rows after prefix u instead of vocab_size.
 *
 * label_ids[i] holds label_lengths[i] token ids (1 to prefill_chunk; no two
 * labels the same sequence); prompt_count >= 1; the prompt and the longest label
 * but its last token must fit the context after the session's position. Those
 * checks fail (GEMMAC_INVALID_ARGUMENT, GEMMAC_OUT_OF_RANGE) before anything runs.
 * out_probabilities (label_count floats) is required, out_log_probs may be NULL.
 * On success the session holds what it held plus the prompt (the position
 * advances by prompt_count; the label tokens are not kept), so it can go on
 * e.g. generating after the prompt. Runs on the compiled forward pass's KV
 * caches too, through the portable executor (the compiled code does not expose
 * hidden states). */
gemmac_status gemmac_session_classify(gemmac_session* session, const int32_t* prompt_ids, size_t prompt_count,
                                      const int32_t* const* label_ids, const size_t* label_lengths,
                                      size_t label_count, float* out_probabilities, float* out_log_probs);
/* Tokenizes `prompt` (with BOS when the session is empty, and in a Gemma user turn
 * followed by the model turn's start when `chat`) and each label on its own, as
 * gemmac_model_tokenize does (so write a label as it follows the prompt: " yes"
 * after "Answer:", "yes" after a newline), then calls gemmac_session_classify. A
 * label that tokenizes to nothing fails with GEMMAC_INVALID_ARGUMENT. */
gemmac_status gemmac_session_classify_text(gemmac_session* session, const char* prompt, int chat,
                                           const char* const* labels, size_t label_count,
                                           float* out_probabilities, float* out_log_probs);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GEMMAC_GEMMAC_H_ */
