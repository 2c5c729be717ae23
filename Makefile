# mod_cors: build with apxs' flags, link with g++, export only cors_module.
#
#   make                 build build/mod_cors.so
#   make install         install into $(DESTDIR)$(LIBEXECDIR)
#   make test            every suite, then one summary line "N passed, N failed"
#   make unit | differential | integration | conformance | browser | fuzz | bench | demo | deb
#   make deployments     mod_cors inside real setups (mod_cache, Varnish, nginx, php-fpm, ...)
#   make status          the counters in server-status, CORSDebugHeader, tools/cors-log-summary
#   make serverfuzz      raw requests and h2c frames into a real httpd (FUZZ_SECONDS per configuration)
#   make maps            origin maps (txt:, dbm:, dbd: on SQLite and PostgreSQL) against real servers
#   make apps            real PHP applications from Debian (WordPress, phpMyAdmin, DokuWiki, MediaWiki)
#
# Every suite is a script tests/<suite>/run.sh that prints "N passed, N failed"
# as its last line; tests/run-suites adds them up.

APXS       ?= $(shell command -v apxs 2>/dev/null || echo /usr/bin/apxs)
CXX        ?= g++
BUILD      ?= build
VERSION    := $(shell cat VERSION 2>/dev/null || echo 0.1.0)

# What apxs says is read lazily, the first time a recipe uses it (then kept), never when the
# Makefile is parsed: on a fresh machine `deps` installs apache2-dev (apxs) before that.
# Each is "VAR = $(eval VAR := $$(shell ...))$(VAR)": computed once, on first use. A target that
# needs them lists deps before $(MODULE), and make builds prerequisites in order (without -j).
AP_INCLUDE  = $(eval AP_INCLUDE := $$(shell $$(APXS) -q INCLUDEDIR))$(AP_INCLUDE)
AP_CFLAGS   = $(eval AP_CFLAGS := $$(shell $$(APXS) -q CFLAGS; $$(APXS) -q EXTRA_CPPFLAGS; $$(APXS) -q NOTEST_CPPFLAGS))$(AP_CFLAGS)
APR_CONFIG  = $(eval APR_CONFIG := $$(shell $$(APXS) -q APR_CONFIG 2>/dev/null))$(APR_CONFIG)
APR_INCLUDE = $(eval APR_INCLUDE := $$(shell $$(APR_CONFIG) --includedir 2>/dev/null))$(APR_INCLUDE)
LIBEXECDIR  = $(eval LIBEXECDIR := $$(shell $$(APXS) -q LIBEXECDIR))$(LIBEXECDIR)

WARN       := -Wall -Wextra -Wno-unused-parameter
CXXSTD     := -std=c++17
OPT        ?= -O2 -g
ENGINE_CXXFLAGS := $(CXXSTD) $(OPT) $(WARN) -fPIC -fvisibility=hidden -pipe \
                   -fstack-protector-strong -D_FORTIFY_SOURCE=2 $(EXTRA_CXXFLAGS)
ENGINE_LIBS := -lpcre2-8 -lpsl

ENGINE_SRC := $(wildcard mod_cors/engine/*.cpp)
ENGINE_HDR := $(wildcard mod_cors/engine/*.hpp) $(wildcard mod_cors/maps/*.hpp)
# mod_cors/maps/: the origin maps' plumbing that needs no httpd (the compact set, the
# answer cache): built into the same library, unit-tested with the engine.
MAPS_SRC   := $(wildcard mod_cors/maps/*.cpp)
ENGINE_OBJ := $(patsubst mod_cors/engine/%.cpp,$(BUILD)/engine/%.o,$(ENGINE_SRC)) \
              $(patsubst mod_cors/maps/%.cpp,$(BUILD)/maps/%.o,$(MAPS_SRC))
ENGINE_LIB := $(BUILD)/libcorsengine.a

# The httpd-facing sources; each compiles to $(BUILD)/<name>.o.
GLUE_SRC   := $(wildcard mod_cors/*.cpp)
GLUE_HDR   := $(wildcard mod_cors/*.hpp)
GLUE_OBJ   := $(patsubst mod_cors/%.cpp,$(BUILD)/%.o,$(GLUE_SRC))
MODULE     := $(BUILD)/mod_cors.so

UNIT_SRC   := $(wildcard tests/unit/*.cpp)
UNIT_BIN   := $(BUILD)/unit_tests
PATTERN_TOOL := $(BUILD)/cors-pattern-tool

.PHONY: all deps install uninstall test unit differential integration conformance browser deployments \
        hardening docs-check deb-test fuzz bench demo deb test-sanitize check-exports clean status serverfuzz \
        fresh-check maps apps

all: $(MODULE)

deps:
	@tests/deps.sh build test

$(BUILD)/engine/%.o: mod_cors/engine/%.cpp $(ENGINE_HDR)
	@mkdir -p $(dir $@)
	$(CXX) $(ENGINE_CXXFLAGS) -c $< -o $@

$(BUILD)/maps/%.o: mod_cors/maps/%.cpp $(ENGINE_HDR)
	@mkdir -p $(dir $@)
	$(CXX) $(ENGINE_CXXFLAGS) -Imod_cors/engine -c $< -o $@

$(ENGINE_LIB): $(ENGINE_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(GLUE_OBJ): $(BUILD)/%.o: mod_cors/%.cpp $(ENGINE_HDR) $(GLUE_HDR)
	@mkdir -p $(dir $@)
	@command -v $(APXS) >/dev/null || { echo "$(APXS) not found: make deps installs it (apache2-dev)" >&2; exit 1; }
	$(CXX) $(ENGINE_CXXFLAGS) $(AP_CFLAGS) -I$(AP_INCLUDE) -I$(APR_INCLUDE) -c $< -o $@

$(MODULE): $(GLUE_OBJ) $(ENGINE_LIB) mod_cors/exports.map
	$(CXX) -shared -o $@ $(GLUE_OBJ) $(ENGINE_LIB) $(ENGINE_LIBS) \
	    -Wl,--version-script=mod_cors/exports.map -Wl,-z,relro -Wl,-z,now -Wl,--as-needed

# The DSO exports cors_module and nothing else (the version script); the last line is the
# "N passed, M failed" summary tests/run-suites reads.
check-exports: $(MODULE)
	@syms=$$(nm -D --defined-only $(MODULE) | awk '{print $$3}' | grep -v '^$$'); \
	 echo "exported: $$syms"; \
	 if [ "$$syms" = "cors_module" ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; exit 1; fi

install: $(MODULE)
	install -d $(DESTDIR)$(LIBEXECDIR)
	install -m 644 $(MODULE) $(DESTDIR)$(LIBEXECDIR)/mod_cors.so

uninstall:
	rm -f $(DESTDIR)$(LIBEXECDIR)/mod_cors.so

$(UNIT_BIN): $(UNIT_SRC) $(ENGINE_LIB)
	$(CXX) $(CXXSTD) $(OPT) $(WARN) $(EXTRA_CXXFLAGS) -DBOOST_TEST_DYN_LINK -Imod_cors/engine -Imod_cors/maps -o $@ $(UNIT_SRC) \
	    $(ENGINE_LIB) $(ENGINE_LIBS) $(EXTRA_LDFLAGS) -lboost_unit_test_framework

$(PATTERN_TOOL): tests/differential/pattern_tool.cpp $(ENGINE_LIB)
	$(CXX) $(CXXSTD) $(OPT) $(WARN) -Imod_cors/engine -o $@ $< $(ENGINE_LIB) $(ENGINE_LIBS)

unit: deps $(UNIT_BIN)
	@tests/unit/run.sh $(BUILD)

differential: deps $(PATTERN_TOOL)
	@tests/differential/run.sh $(BUILD)

# Suites against the built module, each a script tests/<suite>/run.sh BUILD_DIR.
MODULE_SUITES := integration conformance browser hardening bench demo deployments status serverfuzz maps apps
$(MODULE_SUITES): deps $(MODULE)
	@tests/$@/run.sh $(BUILD)

docs-check: deps $(MODULE)
	@tests/docs/run.sh $(BUILD)

deb-test: deps
	@tests/deb/run.sh $(BUILD)

deb: deps
	@tests/deb/build.sh $(BUILD)

# A fresh Debian 12 root (debootstrap, cached): ./bootstrap demo works there the first time,
# and stops everything it started (root).
fresh-check: deps $(MODULE)
	@tests/fresh/run.sh $(BUILD)

fuzz:
	@tests/fuzz/run.sh $(BUILD)

test-sanitize:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/sanitize OPT="-O1 -g" \
	    EXTRA_CXXFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    EXTRA_LDFLAGS="-fsanitize=address,undefined" $(BUILD)/sanitize/unit_tests
	@tests/unit/run.sh $(BUILD)/sanitize

# Every suite; the summary line is the last line printed.
test: deps
	@tests/run-suites $(BUILD)

clean:
	rm -rf $(BUILD)
