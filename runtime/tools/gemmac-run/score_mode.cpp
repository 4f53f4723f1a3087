// gemmac-run score MODEL.gmf --ids ... --topk K: the top-k logits and the
// log-sum-exp at every position as one JSON object. Logits are computed chunk by
// chunk (gemmac_session_evaluate), never all positions x vocabulary at once, and
// the JSON is printed only once every chunk succeeded.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "cli.h"

namespace gemmac_run {
namespace {

constexpr int32_t kChunk = 32;  // positions per evaluate call: 32 x 262144 floats = 32 MB

struct Scores {
  std::string topk_ids, topk_logits, logsumexp;  // JSON array bodies
};

void appendJoined(std::string* out, const char* format, double value, bool first) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  if (!first) out->append(", ");
  out->append(buffer);
}

/// Appends one position's top-k (highest logit first, lowest id on ties) and log-sum-exp.
bool scoreRow(const float* logits, size_t vocab_size, size_t k, std::vector<int32_t>* order,
              Scores* scores, bool first) {
  for (size_t i = 0; i < vocab_size; ++i)
    if (!std::isfinite(logits[i])) {
      std::fprintf(stderr, "gemmac-run: logit %zu is %g\n", i, logits[i]);
      return false;
    }
  std::iota(order->begin(), order->end(), 0);
  std::partial_sort(order->begin(), order->begin() + k, order->end(), [&](int32_t a, int32_t b) {
    return logits[a] != logits[b] ? logits[a] > logits[b] : a < b;
  });
  double max_logit = logits[(*order)[0]], sum = 0.0;
  for (size_t i = 0; i < vocab_size; ++i)
    sum += std::exp(static_cast<double>(logits[i]) - max_logit);

  std::string ids = "[", values = "[";
  for (size_t j = 0; j < k; ++j) {
    appendJoined(&ids, "%.0f", (*order)[j], j == 0);
    appendJoined(&values, "%.9g", logits[(*order)[j]], j == 0);
  }
  if (!first) {
    scores->topk_ids += ", ";
    scores->topk_logits += ", ";
  }
  scores->topk_ids += ids + "]";
  scores->topk_logits += values + "]";
  appendJoined(&scores->logsumexp, "%.9g", max_logit + std::log(sum), first);
  return true;
}

}  // namespace

int runScore(int argc, char** argv) {
  std::string model_path;
  std::vector<int32_t> ids;
  int64_t k = 8;
  int64_t step = kChunk;
  gemmac_session_options session_options;
  gemmac_session_options_init(&session_options);
  for (Args args(argc, argv, 2); !args.done();) {
    std::string flag = args.next();
    if (flag == "--ids") {
      ids = parseIds(args.value(flag));
    } else if (flag == "--topk") {
      k = parseInt(flag, args.value(flag), 1, INT32_MAX);
    } else if (flag == "--chunk") {  // tokens per step; 1 runs every position as a decode step
      step = parseInt(flag, args.value(flag), 1, kChunk);
    } else {
      parseSessionArgument(flag, args, &session_options, &model_path);
    }
  }
  if (model_path.empty()) throw UsageError{"no model file"};
  if (ids.empty()) throw UsageError{"no token ids (--ids)"};

  // Small prompts need small sessions: a chunk and, unless --ctx says otherwise, a
  // context no larger than the ids.
  const size_t chunk = std::min<size_t>(static_cast<size_t>(step), ids.size());
  session_options.prefill_chunk = static_cast<int32_t>(chunk);
  if (session_options.max_context == 0)
    session_options.max_context = static_cast<int32_t>(std::min<size_t>(ids.size(), INT32_MAX));
  ModelPtr model;
  SessionPtr session;
  if (!openSession(model_path, session_options, &model, &session)) return 1;
  gemmac_model_info info;
  if (reportError(gemmac_model_get_info(model.get(), &info), "model info")) return 1;
  const size_t vocab_size = static_cast<size_t>(info.vocab_size);
  for (int32_t id : ids)
    if (id >= info.vocab_size) {
      std::fprintf(stderr, "gemmac-run: token id %d outside the vocabulary [0, %d)\n", id,
                   info.vocab_size);
      return 1;
    }
  k = std::min<int64_t>(k, info.vocab_size);

  std::vector<float> logits(chunk * vocab_size);
  std::vector<int32_t> order(vocab_size);
  Scores scores;
  for (size_t start = 0; start < ids.size(); start += chunk) {
    size_t count = std::min(chunk, ids.size() - start);
    if (reportError(gemmac_session_evaluate(session.get(), ids.data() + start, count,
                                            logits.data()),
                    "evaluate"))
      return 1;
    for (size_t row = 0; row < count; ++row)
      if (!scoreRow(logits.data() + row * vocab_size, vocab_size, static_cast<size_t>(k), &order,
                    &scores, start + row == 0))
        return 1;
  }
  std::printf("{\"topk_ids\": [%s], \"topk_logits\": [%s], \"logsumexp\": [%s]}\n",
              scores.topk_ids.c_str(), scores.topk_logits.c_str(), scores.logsumexp.c_str());
  return 0;
}

}  // namespace gemmac_run
