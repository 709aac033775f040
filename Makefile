# The two commands of the set-up contract: `make run` and `make test`.
# Both install what is missing (scripts/install-deps.sh), build, and go.

BUILD_DIR ?= build
JOBS ?= $(shell nproc)

.PHONY: all deps build run test format bench clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@JOBS=$(JOBS) bash scripts/build.sh $(BUILD_DIR)

run: build
	@bash scripts/run.sh $(BUILD_DIR)

test: deps
	@bash scripts/test.sh

bench: build
	@bash bench/run_wrk.sh $(BUILD_DIR)

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf build build-pgo build-asan build-fuzz
