# The two commands a newcomer needs: `make run` and `make test`.
# Everything else is a step of those.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=

.PHONY: all bootstrap configure build asan run deb image lint test test-fast test-asan bench fuzz clean

all: build

bootstrap:
	@scripts/bootstrap

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS)

configure: bootstrap $(BUILD)/CMakeCache.txt

build: configure
	cmake --build $(BUILD) -j$(JOBS)

$(ASAN_BUILD)/CMakeCache.txt:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug \
	  "-DMC_SANITIZER=address;undefined" $(CMAKE_ARGS)

asan: bootstrap $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j$(JOBS)

# make run: the embedded default from configs/mercure.yaml, in ./var.
run: build
	@scripts/run-embedded

# make lint: the source rules a program can check (format, banned calls,
# includes and layers; scripts/check-source). `scripts/check-source --fix`
# formats.
lint: bootstrap
	scripts/check-source

# make test: the source checks, the whole suite on the normal build, then
# again under AddressSanitizer + UndefinedBehaviorSanitizer (but the
# packaging tests, label package: they package the build they run in, and
# once is enough).
test: lint test-fast test-asan

# Unit tests run in parallel; the integration tests one at a time, since
# several of them time real DICOM and HTTP peers on this small machine.
CTEST = ctest --output-on-failure

test-fast: build
	cd $(BUILD) && $(CTEST) -L unit -j$(JOBS) && $(CTEST) -L integration

test-asan: asan
	cd $(ASAN_BUILD) && \
	  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 && \
	  $(CTEST) -L unit -j$(JOBS) && $(CTEST) -L integration -LE package

# make deb: the Debian package, in $(BUILD)/ (docs/install.md).
deb: build
	cd $(BUILD) && cpack -G DEB

# make image: the container image from that package (configs/container/,
# docs/install.md), built by $(CONTAINER) (podman or docker) on
# IMAGE_BASE, a Debian 12 image.
CONTAINER  ?= podman
IMAGE_BASE ?= docker.io/library/debian:bookworm-slim
image: deb
	CONTAINER="$(CONTAINER)" scripts/build-image --base $(IMAGE_BASE) $(BUILD)

bench: build
	bench/receive

# make fuzz: every libFuzzer harness for FUZZ_RUNS executions under ASan +
# UBSan (clang, in build-fuzz); what finds new coverage joins
# tests/fuzz/corpus/, which `make test` replays.
FUZZ_RUNS ?= 1000000
fuzz:
	@scripts/bootstrap --fuzz
	bench/fuzz -n $(FUZZ_RUNS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
