// gemmac-serve: an OpenAI-compatible server with continuous batching, and its bench mode.
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <future>
#include <memory>
#include <thread>

#include <pthread.h>
#include <sys/socket.h>

#include <httplib.h>

#include "cli.h"
#include "status_message.h"

namespace gemmac_serve {
namespace {

constexpr auto kIdleConnectionWait = std::chrono::milliseconds(500);

}  // namespace

int runServe(const ServeOptions& options) {
  // A client that vanishes mid-response must fail the write, not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  // SIGTERM and SIGINT are taken by one thread with sigwait: the drain runs
  // there, nothing runs in a signal handler. Blocked here, before any thread
  // starts, so that every thread inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  gemmac_run::ModelPtr model_owner;
  if (!loadModel(options.model_path, &model_owner)) return 1;
  gemmac_model* model = model_owner.get();
  Metrics metrics;
  std::unique_ptr<Engine> engine;
  if (gemmac_status status = Engine::create(model, options.engine, &metrics, &engine)) {
    std::fprintf(stderr, "gemmac-serve: engine: %s\n", takeStatusMessage(status).c_str());
    return 1;
  }
  HttpApi api(model, engine.get(), &metrics, options.http);
  httplib::Server server;
  // One thread per connection being served: enough for every request that
  // may be in flight (slots and queue) to stream, and some for /health,
  // /metrics, refusals and idle keep-alive connections. cpp-httplib's default
  // is max(8, cores - 1), and connections beyond the pool wait unserved.
  const size_t pool = options.engine.max_batch + options.engine.max_queue + 16;
  server.new_task_queue = [pool] { return new httplib::ThreadPool(pool); };
  api.install(&server);
  // Debian's cpp-httplib is compiled with a listen backlog of 5: in a burst of
  // more new connections the rest had their SYNs dropped and retried a second
  // or more later. Listening again on the bound socket raises the backlog.
  int listening = -1;
  server.set_socket_options([&listening](socket_t sock) {
    httplib::default_socket_options(sock);
    listening = sock;
  });
  const int port = options.port == 0 ? server.bind_to_any_port(options.host)
                                     : (server.bind_to_port(options.host, options.port) ? options.port : -1);
  if (port < 0) {
    std::fprintf(stderr, "gemmac-serve: cannot listen on %s:%d\n", options.host.c_str(), options.port);
    return 1;
  }
  if (listening < 0 || ::listen(listening, SOMAXCONN) != 0) {
    std::fprintf(stderr, "gemmac-serve: cannot raise the listen backlog on %s:%d: %s\n", options.host.c_str(), port,
                 std::strerror(errno));
    return 1;
  }
  std::printf("gemmac-serve: listening on http://%s:%d\n", options.host.c_str(), port);
  std::fflush(stdout);

  std::thread drainer([&] {
    int signal = 0;
    sigwait(&stop_signals, &signal);
    std::fprintf(stderr, "gemmac-serve: %s: draining\n", signal == SIGINT ? "SIGINT" : "SIGTERM");
    api.beginDrain();
    engine->drain();
    api.waitForResponses();
    server.stop();
  });
  std::promise<bool> listen_result;
  std::future<bool> listened = listen_result.get_future();
  std::thread listener([&] {
    const bool ok = server.listen_after_bind();  // returns after stop(), or when the server fails
    if (!ok) {
      std::fprintf(stderr, "gemmac-serve: the server failed\n");
      pthread_kill(drainer.native_handle(), SIGTERM);
    }
    listen_result.set_value(ok);
  });
  drainer.join();
  // Every response is written. cpp-httplib's listen still waits for idle
  // keep-alive connections to time out (5 s): nothing is left to serve on
  // them, so after a short wait the process ends without waiting for them.
  if (listened.wait_for(kIdleConnectionWait) != std::future_status::ready) {
    std::fprintf(stderr, "gemmac-serve: stopped (idle connections closed)\n");
    std::fflush(nullptr);
    std::_Exit(0);
  }
  listener.join();
  const bool ok = listened.get();
  std::fprintf(stderr, "gemmac-serve: stopped\n");
  return ok ? 0 : 1;
}

}  // namespace gemmac_serve

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "--help") == 0) {
    std::fputs(gemmac_serve::kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  try {
    if (std::strcmp(argv[1], "bench") == 0)
      return gemmac_serve::runBench(gemmac_serve::parseBenchArgs(argc, argv));
    return gemmac_serve::runServe(gemmac_serve::parseServeArgs(argc, argv));
  } catch (const gemmac_run::UsageError& error) {
    std::fprintf(stderr, "gemmac-serve: %s\n(gemmac-serve -h for help)\n", error.message.c_str());
    return 2;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "gemmac-serve: %s\n", error.what());
    return 1;
  }
}
