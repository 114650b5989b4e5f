# ketsim front door. `make demo` and `make test` work on a fresh Debian 12 machine as root.
BUILD      ?= build
BUILD_SAN  ?= build-sanitize
PREFIX     ?= /usr/local
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
OUT        ?= out
KETSIM      = $(BUILD)/ketsim

.PHONY: all deps build demo test test-fast test-sanitize fuzz validate validate-acute validate-circuit validate-response calibrate install bench bench-trial bench-circuit format lint valgrind clean

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	@mkdir -p $(OUT)
	$(KETSIM) simulate --model domino-1982 --weight 70 --dose 0.5mg/kg --route iv --over 40min \
	    --until 24h --every 5min --out $(OUT)/demo.csv --plot $(OUT)/demo.png
	@echo
	@echo "demo: 0.5 mg/kg racemic ketamine IV over 40 min in a 70 kg adult (Domino 1982 model)"
	@echo "demo: table written to $(OUT)/demo.csv, plot to $(OUT)/demo.png"

test-fast: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

$(BUILD_SAN)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD_SAN) -DCMAKE_BUILD_TYPE=Debug -DKS_SANITIZE=ON -DKS_MPI=OFF

test-sanitize: deps $(BUILD_SAN)/CMakeCache.txt
	cmake --build $(BUILD_SAN) -j $(JOBS)
	cd $(BUILD_SAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS) -E fuzz
# (the fuzz tests build their own clang ASan+UBSan target: once, in test-fast, is enough)
# The sanitizer build compiles at -O1 (KS_SANITIZE_OPT) and runs its tests with
# KS_TEST_SMALL=1: the slowest ones at a reduced size, the same code paths (README.md, Tests).

# The validation report: every model against the published observations in data/.
validate: build
	$(KETSIM) validate --out docs/validation.md --plot-dir docs/validation
	$(KETSIM) pd-validate --out docs/validation-acute.md
	$(KETSIM) circuit validate --out docs/circuit-validation.md

# The acute-effect (PD) report: docs/validation-acute.md (make test checks it is current).
validate-acute: build
	$(KETSIM) pd-validate --out docs/validation-acute.md

# The LHb circuit's validation report (the published findings checked on the model).
validate-circuit: build
	$(KETSIM) circuit validate --out docs/circuit-validation.md

# The antidepressant response model: refit (data/response-params.json) and its
# cross-validation report (docs/validation-response.md; make test checks it is current).
calibrate: build
	$(KETSIM) calibrate --write data/response-params.json

validate-response: build
	$(KETSIM) response-validate --out docs/validation-response.md --plot-dir docs/validation-response

# Random search beyond the reproducible runs of `make test`: FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 300
fuzz: build
	KS_FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/cli/test_fuzz_dataset.sh $(KETSIM) .
	KS_FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/cli/test_fuzz_regimen.sh $(KETSIM) .

# Every test, then the same tests again under AddressSanitizer + UBSan, then valgrind on the CLI.
test: test-fast test-sanitize valgrind

valgrind: build
	bash tests/valgrind.sh $(KETSIM)

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

# Virtual trial W1 against scipy and deSolve (installs them with bench/trial/install-deps.sh).
bench-trial: build
	bash bench/trial/run.sh $(KETSIM)

bench: build
	bash bench/run.sh $(KETSIM)

# The LHb network against Brian2 (runtime and C++ standalone); needs
# bench/install-bench-deps.sh (python3-brian, g++), which `make test` does not install.
bench-circuit: build
	bash bench/circuit/run.sh $(KETSIM)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

lint:
	cppcheck --quiet --enable=warning,performance,portability --std=c11 --error-exitcode=1 \
	    --suppress=missingIncludeSystem -Iinclude -Isrc src cli

clean:
	rm -rf $(BUILD) $(BUILD_SAN) $(OUT)
