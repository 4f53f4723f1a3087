// gemmac-serve's command line: the server's options and the bench mode's.
#ifndef GEMMAC_TOOLS_GEMMAC_SERVE_CLI_H_
#define GEMMAC_TOOLS_GEMMAC_SERVE_CLI_H_

#include <string>
#include <vector>

// gemmac-run's flag walker, number parsing and model handle, shared rather than copied.
#include "../gemmac-run/cli.h"
#include "engine.h"
#include "http_api.h"

namespace gemmac_serve {

extern const char kUsage[];

struct ServeOptions {
  std::string model_path;
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (printed)
  EngineOptions engine;
  HttpOptions http;  // model_name defaults to the model file's stem, api_key to $GEMMAC_API_KEY
};

struct BenchOptions {
  std::string model_path;
  std::vector<size_t> streams{1, 4, 16};
  size_t tokens = 64;  // new tokens per stream
  size_t repetitions = 3;
  size_t threads = 0;  // 0: one per core
  bool int8_activations = false;
};

/// argv[1] is the model; throws gemmac_run::UsageError.
ServeOptions parseServeArgs(int argc, char** argv);
/// argv[1] is "bench", argv[2] the model; throws gemmac_run::UsageError.
BenchOptions parseBenchArgs(int argc, char** argv);

/// Loads the model; prints the error and returns false on failure.
bool loadModel(const std::string& path, gemmac_run::ModelPtr* model);

int runServe(const ServeOptions& options);
int runBench(const BenchOptions& options);

}  // namespace gemmac_serve

#endif  // GEMMAC_TOOLS_GEMMAC_SERVE_CLI_H_
