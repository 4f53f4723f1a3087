#!/usr/bin/env python3
"""nginx in front of two gemmac-serve replicas (examples/serve/nginx-conf.sh):
requests spread over both; one replica is killed (SIGKILL) while requests
run on it; every request sent after that gets its complete answer (nginx
sends those the dead replica refuses to the survivor), equal to the answer
served alone (greedy), and so does every one before it that completed."""
import argparse
import concurrent.futures
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

DEADLINE = time.monotonic() + 240  # the whole test


def fail(message):
    print("FAIL:", message, file=sys.stderr)
    sys.exit(1)


def start_replica(serve, model, threads):
    process = subprocess.Popen([serve, model, "--host", "127.0.0.1", "--port", "0", "--threads", str(threads)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    # The replica prints "listening on http://127.0.0.1:PORT" once it serves.
    while time.monotonic() < DEADLINE:
        line = process.stdout.readline()
        if not line:
            fail("replica exited before listening: code %s" % process.wait())
        match = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        if match:
            threading.Thread(target=process.stdout.read, daemon=True).start()  # keep draining its output
            return process, int(match.group(1))
    fail("replica did not start in time")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(port, body, timeout=120):
    request = urllib.request.Request("http://127.0.0.1:%d/v1/completions" % port, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, json.loads(response.read())


def wait_healthy(port):
    while time.monotonic() < DEADLINE:
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/health" % port, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.1)
    fail("nginx did not become healthy")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--conf", required=True, help="examples/serve/nginx-conf.sh")
    parser.add_argument("--nginx", default="nginx")
    parser.add_argument("--requests", type=int, default=24)
    args = parser.parse_args()

    prefix = tempfile.mkdtemp(prefix="gemmac-nginx-")
    replicas = [start_replica(args.serve, args.model, 1) for _ in range(2)]
    port = free_port()
    conf = subprocess.run(["bash", args.conf, prefix, "127.0.0.1:%d" % port] +
                          ["127.0.0.1:%d" % p for _, p in replicas], check=True, capture_output=True, text=True)
    with open(os.path.join(prefix, "nginx.conf"), "w") as f:
        f.write(conf.stdout)
    nginx = subprocess.Popen([args.nginx, "-p", prefix, "-c", os.path.join(prefix, "nginx.conf"), "-e",
                              os.path.join(prefix, "error.log"), "-g", "daemon off;"])
    try:
        wait_healthy(port)
        prompts = ["Request %d: the weather in city number %d is" % (i, i) for i in range(args.requests)]
        with urllib.request.urlopen("http://127.0.0.1:%d/v1/models" % port, timeout=30) as response:
            model = json.loads(response.read())["data"][0]["id"]
        # The first half long enough to be under way at the kill.
        bodies = [{"model": model, "prompt": p, "max_tokens": 200 if i < args.requests // 2 else 12, "temperature": 0}
                  for i, p in enumerate(prompts)]
        # Each answer alone first, straight from the replica that will survive.
        expected = []
        for body in bodies:
            status, answer = post(replicas[1][1], body)
            expected.append(answer["choices"][0]["text"])

        def run(i):
            try:
                return post(port, bodies[i])
            except (urllib.error.URLError, http.client.HTTPException, ConnectionError, OSError) as error:
                return None, str(error)

        def check(i, result):
            status, answer = result
            if status != 200:
                fail("request %d: %s %s" % (i, status, answer))
            if answer["choices"][0]["text"] != expected[i]:
                fail("request %d: %r, alone %r" % (i, answer["choices"][0]["text"], expected[i]))
            if answer["usage"]["completion_tokens"] < 1:
                fail("request %d: no tokens" % i)

        half = args.requests // 2
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            # Both replicas serve while the first half runs; the kill comes
            # with requests in flight on the first replica.
            before = [pool.submit(run, i) for i in range(half)]
            time.sleep(0.3)
            replicas[0][0].send_signal(signal.SIGKILL)
            replicas[0][0].wait(timeout=30)
            timeout = max(1, DEADLINE - time.monotonic())
            before = [f.result(timeout=timeout) for f in before]
            # Requests sent after the kill: nginx finds the replica gone and
            # sends each to the survivor; none may be lost.
            after = [pool.submit(run, i) for i in range(half, args.requests)]
            after = [f.result(timeout=timeout) for f in after]
        # A response under way when its replica died cannot move (its 200 was
        # sent): those end early; anything else must be complete.
        cut_short = 0
        for i, result in enumerate(before):
            if result[0] is None:
                cut_short += 1
            else:
                check(i, result)
        for i, result in enumerate(after, half):
            check(i, result)
        with open(os.path.join(prefix, "access.log")) as f:
            log = f.read()
        dead, alive = ("127.0.0.1:%d" % replicas[0][1]), ("127.0.0.1:%d" % replicas[1][1])
        served_by_dead = len(re.findall(r"upstream=%s \d" % re.escape(dead), log))
        moved = len(re.findall(r"upstream=%s, %s" % (re.escape(dead), re.escape(alive)), log))
        if served_by_dead == 0:
            fail("the killed replica served nothing before the kill: the test proves nothing\n" + log)
        print("nginx + 2 replicas: %d requests; the first replica answered %d and was killed with %d in flight "
              "(cut short); all %d sent after the kill complete and equal to alone (%d moved to the survivor "
              "by nginx's retry)" % (args.requests, served_by_dead, cut_short, args.requests - half, moved))
    finally:
        nginx.send_signal(signal.SIGQUIT)
        for process, _ in replicas:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [nginx] + [r[0] for r in replicas]:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(prefix, ignore_errors=True)
    if replicas[1][0].returncode != 0:
        fail("the surviving replica exited with %s after SIGTERM" % replicas[1][0].returncode)


if __name__ == "__main__":
    main()
