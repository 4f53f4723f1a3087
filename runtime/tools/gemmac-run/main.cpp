// gemmac-run: the command-line front end of the runtime.
#include <cstdio>
#include <cstring>
#include <exception>

#include "cli.h"

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "--help") == 0) {
    std::fputs(gemmac_run::kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  try {
    if (std::strcmp(argv[1], "score") == 0) return gemmac_run::runScore(argc, argv);
    if (std::strcmp(argv[1], "inspect") == 0) return gemmac_run::runInspect(argc, argv);
    if (std::strcmp(argv[1], "bench") == 0) return gemmac_run::runBench(argc, argv);
    if (std::strcmp(argv[1], "classify") == 0) return gemmac_run::runClassify(argc, argv);
    return gemmac_run::runGenerate(argc, argv);
  } catch (const gemmac_run::UsageError& error) {
    std::fprintf(stderr, "gemmac-run: %s\n(gemmac-run -h for help)\n", error.message.c_str());
    return 2;
  } catch (const std::exception& error) {  // e.g. std::bad_alloc for a huge --ids list
    std::fprintf(stderr, "gemmac-run: %s\n", error.what());
    return 1;
  }
}
