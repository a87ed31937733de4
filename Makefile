# HDRec: the two commands a user needs are `make serve` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift
RELEASE_FLAGS := -c release
THREADS ?= 2

.PHONY: all deps mpi-deps build release test browser-test models models-for-tests kquant-models vocab-models vocab-models-for-tests serve bench loadtest fixtures clean fuzz fuzz-smoke

all: release

deps:
	@scripts/install-system-deps.sh

# Open MPI for the data-parallel check in `make test` (scripts/mpi-test.sh) and for
# `mpirun -np N hdrec ...` (docs/scaling.md); never needed by `make serve` or the server.
mpi-deps:
	@scripts/install-system-deps.sh openmpi-bin libopenmpi-dev

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build $(RELEASE_FLAGS)

# The whole suite, in release mode: numeric tests are many times slower in debug.
# The base model is fetched first so that the SmolLM2 tests (272 tensors, " Paris",
# llama.cpp goldens) run; without network they skip, saying why, after a warning.
# The same for llama.cpp's Llama 3 and Qwen2 vocabularies (vocab-models-for-tests).
TEST_FLAGS := -Xswiftc -enable-testing
test: deps mpi-deps models-for-tests vocab-models-for-tests
	$(SWIFT) build $(RELEASE_FLAGS) $(TEST_FLAGS) --build-tests
	$(SWIFT) test $(RELEASE_FLAGS) $(TEST_FLAGS) --skip-build
	scripts/mpi-test.sh "$$($(SWIFT) build $(RELEASE_FLAGS) $(TEST_FLAGS) --show-bin-path)"
	scripts/mpi-sasrec-test.sh "$$($(SWIFT) build $(RELEASE_FLAGS) $(TEST_FLAGS) --show-bin-path)"
	HDREC_SWIFT_FLAGS="$(TEST_FLAGS)" Deploy/validate.sh
	HDREC_SWIFT_FLAGS="$(TEST_FLAGS)" scripts/browser-test.sh
	$(MAKE) fuzz-smoke

# The page at GET / in headless Chromium (Debian's chromium, installed when missing)
# against hdrec-server on artifacts/default: the deep link's list equals POST /recommend's,
# one search-and-click flow, no console errors or CSP violations (scripts/browser-test.sh).
# Built with the test flags so it reuses `make test`'s build; the screenshot goes to
# .build/browser-test/ (BROWSER_TEST_SCREENSHOT=docs/web-ui.png refreshes the README's).
browser-test: deps models-for-tests
	HDREC_SWIFT_FLAGS="$(TEST_FLAGS)" scripts/browser-test.sh

# Benchmarks (release build). Kernels: GFLOP/s of the f32 and quantized products at the
# decoder's shapes, with numpy/OpenBLAS as the peer in the same run; the table replaces
# the "Kernels" section of BENCHMARKS.md. OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE are unset for
# numpy alone: they select older, slower kernels (see Tools/bench_numpy_matmul.py).
PYTHON ?= python3
BENCH_DIR := .build/bench
SCRATCH ?= .build
# A python with torch 2.5.1, transformers 4.48.3, peft 0.14.0 and gguf for the trainer's peer (optional).
# Default: the repo-local .venv-torch when it exists; else pass TORCH_PYTHON=... on the command line.
TORCH_PYTHON ?= $(firstword $(wildcard .venv-torch/bin/python))
# A python with torch and recbole==1.2.1 for the SASRec peer (optional; by default the torch venv).
RECBOLE_PYTHON ?= $(TORCH_PYTHON)
# The prepared dataset the SASRec benchmark trains on (hdrec prepare; see docs/recsys.md).
SASREC_DATA ?= data/scientific

bench: deps
	$(SWIFT) build $(RELEASE_FLAGS) --scratch-path $(SCRATCH) --product hdrec
	@mkdir -p $(BENCH_DIR)
	$(SCRATCH)/release/hdrec bench-kernels --threads $(THREADS) --json > $(BENCH_DIR)/kernels.jsonl
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(PYTHON) Tools/bench_numpy_matmul.py --threads $(THREADS) > $(BENCH_DIR)/numpy.jsonl
	$(SCRATCH)/release/hdrec bench-kernels --threads 1 --clock cpu --json > $(BENCH_DIR)/kernels-cpu.jsonl
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(PYTHON) Tools/bench_numpy_matmul.py --threads 1 --clock cpu > $(BENCH_DIR)/numpy-cpu.jsonl
	$(PYTHON) Tools/render_kernel_bench.py BENCHMARKS.md "make bench THREADS=$(THREADS)" \
		$(BENCH_DIR)/kernels.jsonl $(BENCH_DIR)/numpy.jsonl $(BENCH_DIR)/kernels-cpu.jsonl $(BENCH_DIR)/numpy-cpu.jsonl
	@sed -n '/^## Kernels/,/^## [^K]/p' BENCHMARKS.md
	@# Decoder prefill, ours next to llama.cpp (llama-cpp-python) on the same file and threads.
	-HDREC_BIN=$(SCRATCH)/release/hdrec PYTHON=$(PYTHON) Tools/bench_decoder.sh $(firstword $(wildcard models/SmolLM2-135M-Instruct.Q4_1.gguf ../shared/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf)) $(THREADS)
	@# The same on the K-quant files when `make kquant-models` has built them (BENCHMARKS.md "K-quant files").
	-@for f in $(wildcard $(KQUANT_MODELS)); do echo "== $$f"; HDREC_BIN=$(SCRATCH)/release/hdrec PYTHON=$(PYTHON) Tools/bench_decoder.sh $$f $(THREADS); done
	@# Trainer step speed next to PyTorch + PEFT (optional: needs a python with torch, transformers, peft
	@# and gguf in TORCH_PYTHON; without one it says so and records ours alone). Writes "Trainer".
	-@if [ -n "$(TORCH_PYTHON)" ]; then echo "trainer peer: $(TORCH_PYTHON)"; else echo "trainer peer skipped: no torch venv (TORCH_PYTHON; see Tools/README.md)"; fi
	-HDREC_BIN=$(SCRATCH)/release/hdrec TORCH_PYTHON=$(TORCH_PYTHON) BENCH_DIR=$(BENCH_DIR) Tools/bench_train.sh $(firstword $(wildcard models/SmolLM2-135M-Instruct.Q4_1.gguf ../shared/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf)) $(THREADS)
	@# SASRec training next to RecBole 1.2.1 (optional: the peer needs RECBOLE_PYTHON, a python with torch and
	@# recbole; without one it says so and records ours alone; RecBole takes minutes per epoch). Writes "SASRec".
	-HDREC_BIN=$(SCRATCH)/release/hdrec RECBOLE_PYTHON=$(RECBOLE_PYTHON) BENCH_DIR=$(BENCH_DIR) PYTHON=$(PYTHON) Tools/bench_sasrec.sh $(SASREC_DATA) $(THREADS)

# Load test of hdrec-server with wrk (needs a bundle: ARTIFACTS=<dir>, default artifacts/bundle;
# BASE=<gguf> for bundles that reference their base, SWAP_DIR=<second bundle> for the swap runs);
# writes the "Service" section of BENCHMARKS.md. Without a bundle it says "no bundle" and exits 2.
# Then the connection benchmarks (/healthz against nginx at 64 connections; 10,000 idle
# connections) and the memory soak (RSS over 500 swaps under load), on the default bundle
# unless ARTIFACTS says otherwise: sections "Service: connections" and "Service: memory
# over swaps" of BENCHMARKS.md.
loadtest: deps
	THREADS=$(THREADS) SCRATCH=$(SCRATCH) scripts/loadtest.sh
	THREADS=$(THREADS) SCRATCH=$(SCRATCH) scripts/bench_connections.sh
	THREADS=$(THREADS) SCRATCH=$(SCRATCH) scripts/soak_swaps.sh
	THREADS=$(THREADS) SCRATCH=$(SCRATCH) scripts/bench_throughput.sh

# Coverage-guided fuzzing of the input parsers (docs/fuzzing.md): the package in Fuzz/,
# built with libFuzzer + AddressSanitizer into .build/fuzz (the release build is untouched),
# each target run FUZZ_SECONDS over a scratch copy of its seed corpus (Fuzz/Corpus/<target>).
# Summary: $(FUZZ_OUT)/summary.md (default .build/fuzz/run); a crash fails the target and keeps its input there.
# FUZZ_TARGETS=http make fuzz runs one. fuzz-smoke is the short run `make test` makes.
FUZZ_SECONDS ?= 300
FUZZ_SMOKE_SECONDS ?= 12
FUZZ_TARGETS ?= http json gguf safetensors peft manifest catalog
FUZZ_OUT ?= .build/fuzz/run
fuzz: deps
	scripts/fuzz.sh --seconds $(FUZZ_SECONDS) --out $(FUZZ_OUT) $(FUZZ_TARGETS)

fuzz-smoke: deps
	scripts/fuzz.sh --seconds $(FUZZ_SMOKE_SECONDS) --out .build/fuzz/smoke $(FUZZ_TARGETS)

clean:
	rm -rf .build

# The quick start: system packages, release build, base model, the default bundle
# (artifacts/default: hashes checked; trained from the bundled data when absent), then
# hdrec-server on 127.0.0.1:8080 with a curl example. PORT=8081 make serve to move it.
PORT ?= 8080
serve:
	@HDREC_PORT=$(PORT) scripts/serve.sh

# Base model (SmolLM2-135M-Instruct GGUF from PyPI, sha256-verified) into models/;
# deps installs python3 and pip, which the download needs.
models: deps
	@scripts/fetch-models.sh

# SmolLM2 re-quantized by llama.cpp to Q4_K_M, Q5_K_M and Q6_K (~100 MB each) into models/,
# for the K-quant tests (they skip without these) and `make bench`. Built once: a file that
# exists is kept. Needs llama-cpp-python 0.3.36 (KQ_PYTHON, default .venv-tools; see
# Tools/README.md), which compiles llama.cpp from source (minutes), so CI does not do this.
KQ_PYTHON ?= $(firstword $(wildcard .venv-tools/bin/python) python3)
KQUANT_MODELS := $(foreach t,Q4_K_M Q5_K_M Q6_K,models/SmolLM2-135M-Instruct.$(t).gguf)
kquant-models:
	@if [ -n "$$(for f in $(KQUANT_MODELS); do [ -f $$f ] || echo $$f; done)" ]; then \
	  $(KQ_PYTHON) Tools/make_kquant_fixtures.py --models-only; \
	else echo "kquant-models: cached in models/"; fi

# As `models`, but a failed fetch (no network) only warns: `make test` then runs
# without the SmolLM2 tests, which skip with their printed reason.
models-for-tests: deps
	@scripts/fetch-models.sh || { \
	  echo ""; \
	  echo "################################################################################"; \
	  echo "WARNING: could not fetch models/SmolLM2-135M-Instruct.Q4_1.gguf (see above)."; \
	  echo "WARNING: the SmolLM2 tests will be SKIPPED; run 'make models' when online."; \
	  echo "################################################################################"; \
	  echo ""; }

# llama.cpp's Llama 3 (llama-bpe) and Qwen2 vocabularies with their tokenizer test vectors,
# from the llama-cpp-python 0.3.36 sdist on PyPI, into models/vocab/ (not committed: their
# licences; see Tools/fetch_vocab_models.sh). Cached: verified files are kept. The tokenizer
# vector tests and the random Llama 3 / Qwen2 decoder tests need them and skip without.
vocab-models: deps
	@Tools/fetch_vocab_models.sh

# As `vocab-models`, but a failed fetch (no network) only warns.
vocab-models-for-tests: deps
	@Tools/fetch_vocab_models.sh || { \
	  echo ""; \
	  echo "################################################################################"; \
	  echo "WARNING: could not fetch models/vocab/ggml-vocab-{llama-bpe,qwen2}.gguf (see above)."; \
	  echo "WARNING: the Llama 3 / Qwen2 vocabulary and architecture tests will be SKIPPED;"; \
	  echo "WARNING: run 'make vocab-models' when online."; \
	  echo "################################################################################"; \
	  echo ""; }
