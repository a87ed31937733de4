# HDRec: the two commands a user needs are `make serve` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift
RELEASE_FLAGS := -c release
THREADS ?= 2

.PHONY: all deps build release test models serve bench loadtest fixtures clean

all: release

deps:
	@scripts/install-system-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build $(RELEASE_FLAGS)

# The whole suite, in release mode: numeric tests are many times slower in debug.
TEST_FLAGS := -Xswiftc -enable-testing
test: deps
	$(SWIFT) build $(RELEASE_FLAGS) $(TEST_FLAGS) --build-tests
	$(SWIFT) test $(RELEASE_FLAGS) $(TEST_FLAGS) --skip-build
	HDREC_SWIFT_FLAGS="$(TEST_FLAGS)" Deploy/validate.sh

clean:
	rm -rf .build
