"""llama.cpp's native C++ HTTP server, through the xllamacpp bindings, on 127.0.0.1.

    python bench/xllamacpp_server.py --model FILE.gguf --port 8080 --alias NAME \
        --ctx 8192 --threads 1

Prints ``listening on http://127.0.0.1:PORT`` once the model is loaded, then serves until it
is sent SIGTERM or SIGINT. The server is llama.cpp's own (``/v1/completions``,
``/v1/chat/completions``, ``/v1/models``, the ``grammar`` request field), not a Python
reimplementation: its sampler checks a grammar only against the sampled token and resamples
under the grammar only when that token is rejected, so constrained decoding costs little
more than free decoding. ``pip install xllamacpp`` (a prebuilt CPU wheel); not needed by mckd
or its tests.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="the GGUF file")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--alias", required=True, help="the model name the server answers to")
    parser.add_argument("--ctx", type=int, default=8192, help="context size in tokens")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (generation and "
                        "prompt processing)")
    parser.add_argument("--parallel", type=int, default=1, help="request slots")
    args = parser.parse_args(argv)

    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = args.model
    params.model_alias = {args.alias}
    params.hostnames = ["127.0.0.1"]
    params.port = args.port
    params.n_ctx = args.ctx * args.parallel  # llama.cpp splits the context among the slots
    params.n_parallel = args.parallel
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.threads
    params.cache_prompt = True  # reuse the KV cache of a prompt's shared prefix (the demos)
    server = xllamacpp.Server(params)
    print(f"listening on {server.listening_address}", flush=True)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    del server
    return 0


if __name__ == "__main__":
    sys.exit(main())
