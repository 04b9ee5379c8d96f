# The README's commands. A thin layer over scripts/setup.sh, CMake presets and CTest.
#
#   make demo    install what is missing, build (release), run the demo
#   make test    install what is missing, build (ASan+UBSan), run every test
#   make bench   build (release) and run the benchmarks
#   make tsan    build with ThreadSanitizer and run the threaded tests
#   make fuzz    build the libFuzzer targets (clang-14) and run each briefly
#   make check   static checks: cppcheck on src/ and the layer rule
#   make clean   remove build/

FUZZ_SECONDS ?= 30

.PHONY: all setup demo test bench tsan fuzz check clean

all: demo

setup:
	@scripts/setup.sh

demo: setup
	@cmake --preset release >/dev/null
	@cmake --build --preset release
	@./build/release/gemel demo

test: setup
	@cmake --preset debug-asan >/dev/null
	@cmake --build --preset debug-asan
	@ctest --preset debug-asan

bench: setup
	@cmake --preset release >/dev/null
	@cmake --build --preset release
	@scripts/bench.sh build/release

tsan: setup
	@cmake --preset tsan >/dev/null
	@cmake --build --preset tsan
	@ctest --preset tsan

fuzz: setup
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz
	@scripts/fuzz.sh build/fuzz $(FUZZ_SECONDS)

check: setup
	@cmake --preset release >/dev/null
	@scripts/check.sh build/release

clean:
	rm -rf build
