// Command-line helpers shared by gemmac-run's modes.
#ifndef GEMMAC_TOOLS_GEMMAC_RUN_CLI_H_
#define GEMMAC_TOOLS_GEMMAC_RUN_CLI_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gemmac/gemmac.h"

namespace gemmac_run {

/// Thrown on a bad command line; main prints it with the usage hint.
struct UsageError {
  std::string message;
};

/// Walks argv, handing out flag values.
class Args {
 public:
  Args(int argc, char** argv, int first) : argc_(argc), argv_(argv), at_(first) {}
  bool done() const { return at_ >= argc_; }
  std::string next() { return argv_[at_++]; }
  /// The value after flag `name` (which was just read).
  std::string value(const std::string& name);

 private:
  int argc_;
  char** argv_;
  int at_;
};

int64_t parseInt(const std::string& flag, const std::string& text, int64_t min, int64_t max);
float parseFloat(const std::string& flag, const std::string& text);
/// "2,818,5279" -> ids; each must be a non-negative int32.
std::vector<int32_t> parseIds(const std::string& text);

/// "--kv f16" -> 1, "--kv f32" -> 0: gemmac_session_options.kv_cache_f16.
int32_t parseKvCacheType(const std::string& flag, const std::string& text);
/// "f16" or "f32".
const char* kvCacheTypeName(int32_t kv_cache_f16);

/// Handles what the session-running modes share: --threads, --ctx, --kv and
/// the model path; throws UsageError on any other argument.
void parseSessionArgument(const std::string& flag, Args& args, gemmac_session_options* options,
                          std::string* model_path);

/// Prints a failed status to stderr with `context` and frees it; true if it failed.
bool reportError(gemmac_status status, const char* context);

struct ModelDeleter {
  void operator()(gemmac_model* model) const { gemmac_model_free(model); }
};
struct SessionDeleter {
  void operator()(gemmac_session* session) const { gemmac_session_free(session); }
};
using ModelPtr = std::unique_ptr<gemmac_model, ModelDeleter>;
using SessionPtr = std::unique_ptr<gemmac_session, SessionDeleter>;

/// Loads `path` and opens a session; prints the error and returns false on failure.
bool openSession(const std::string& path, const gemmac_session_options& options, ModelPtr* model,
                 SessionPtr* session);

int runGenerate(int argc, char** argv);
/// The interactive chat loop on stdin (gemmac-run MODEL --chat without -p).
int runChat(gemmac_session* session, const gemmac_generate_options& options,
            const gemmac_chat_options& chat_options);
int runScore(int argc, char** argv);
int runInspect(int argc, char** argv);
int runBench(int argc, char** argv);
int runClassify(int argc, char** argv);
extern const char kUsage[];

}  // namespace gemmac_run

#endif  // GEMMAC_TOOLS_GEMMAC_RUN_CLI_H_
