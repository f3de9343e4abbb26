# sleuth — plain Makefile. `make` builds build/sleuth; `make test` builds and runs every
# test (Criterion), `make demo` installs what is missing, builds and ingests the bundled
# real blocks; `make fuzz` builds every libFuzzer target (clang: fuzz/Makefile and
# fuzz/Makefile.eth); `make bench` the benchmarks; `make asan` runs every test under
# AddressSanitizer and UBSan.
CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-deprecated-declarations -I/usr/include/libxml2 \
           -Iinclude -Isrc -fno-strict-aliasing -march=x86-64-v2
LDLIBS  := -llmdb -lcrypto -lcjson -lzstd -lsecp256k1 -lnettle -lcurl -lsqlite3 -lyaml -lxml2 -lbz2 -lmicrohttpd -lm

BUILD   := build
SRC     := $(shell find src -name '*.c' ! -path 'src/cli/*' | sort)
CLI_SRC := $(shell find src/cli -name '*.c' | sort)
OBJ     := $(SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_SRC:= $(wildcard tests/*.c)
TEST_OBJ:= $(TEST_SRC:%.c=$(BUILD)/%.o)
LIB     := $(BUILD)/libsleuth.a

.PHONY: all test demo deps fuzz bench clean asan web
all: $(BUILD)/sleuth web

# The web UI (web/, issue 14): built with npm and Vite into build/web/, which `sleuth serve`
# serves at /. Without node and npm the C build goes on and the UI is not built (serve then
# answers / with a page that says so; the browser test is skipped with a message).
WEB_SRC := $(shell find web/src -type f 2>/dev/null) web/index.html web/package.json web/package-lock.json web/vite.config.js
web: build/web/index.html
build/web/index.html: $(WEB_SRC)
	@if command -v npm >/dev/null 2>&1; then \
	  if [ ! -d web/node_modules ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then \
	    (cd web && npm ci --no-audit --no-fund --loglevel=error) || exit 1; fi; \
	  (cd web && SLEUTH_WEB_OUT=$(abspath build/web) node_modules/.bin/vite build --logLevel warn) || exit 1; \
	else echo "web UI not built: node and npm are not installed (scripts/install-deps.sh installs them)"; fi

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# The data sleuth ships (data/: taxonomies, the incident library), found at run time
# through $SLEUTH_DATA or this path (src/knowledge/tags.c).
$(BUILD)/src/knowledge/tags.o: CFLAGS += -DSLEUTH_DATA_DIR=\"$(abspath data)\"
# The web UI's built files, served by `sleuth serve` unless --web or $SLEUTH_WEB names
# others (src/server/static.c).
$(BUILD)/src/server/static.o: CFLAGS += -DSLEUTH_WEB_DIR=\"$(abspath build/web)\"
# The GraphSense taxonomies are compiled into the program (.incbin in tags_key.c).
$(BUILD)/src/knowledge/tags_key.o: data/taxonomy/confidence.csv data/taxonomy/concepts.yaml

$(LIB): $(OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/sleuth: $(CLI_OBJ) $(LIB)
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(LDLIBS)

$(BUILD)/run-tests: $(TEST_OBJ) $(LIB)
	$(CC) $(CFLAGS) -o $@ $(TEST_OBJ) $(LIB) $(LDLIBS) -lcriterion

# Every test; Criterion ends with its "Synthesis: Tested: N | Passing: N | Failing: 0" line.
test: deps-check $(BUILD)/sleuth $(BUILD)/run-tests web
	SLEUTH_BIN=$(abspath $(BUILD)/sleuth) $(BUILD)/run-tests -j2 $(TESTFLAGS)

demo: deps-check $(BUILD)/sleuth web
	scripts/demo.sh

deps-check:
	@scripts/install-deps.sh --check || scripts/install-deps.sh

deps:
	scripts/install-deps.sh

fuzz:
	$(MAKE) -f fuzz/Makefile
	$(MAKE) -f fuzz/Makefile.eth

# Every test with AddressSanitizer + UBSan in build-asan/ (the spawned sleuth too).
asan:
	$(MAKE) BUILD=build-asan CC="$(CC) -fsanitize=address,undefined -fno-omit-frame-pointer" \
		build-asan/sleuth build-asan/run-tests
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp) \
		SLEUTH_BIN=$(abspath build-asan/sleuth) SLEUTH_SANITIZED=1 \
		build-asan/run-tests -j2 $(TESTFLAGS)

bench: $(LIB)
	$(MAKE) -f bench/Makefile

clean:
	rm -rf $(BUILD)

-include $(OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d)
