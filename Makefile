# EquiScan build entry points. `make demo` and `make test` do all set-up on a fresh Debian
# machine with Swift installed.

SWIFT ?= swift
DEB_PACKAGES := libpng-dev libjpeg-dev libtiff-dev libopenblas-dev libsqlite3-dev pkg-config
DATA ?= ../shared/data
RELEASE_BIN := .build/release/equiscan

.PHONY: deps build release test demo models bench clean

## Installs the Debian packages that are missing; does nothing when all are present.
deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" \
	        || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	    $$SUDO apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

## Tests run on a debug build (so `@testable import` works) with the optimiser on: the
## numerical kernels and codecs would otherwise dominate the suite's time.
TEST_FLAGS := -Xswiftc -O -Xcc -O2

test: deps
	$(SWIFT) build --build-tests $(TEST_FLAGS)
	$(SWIFT) test --skip-build --disable-swift-testing $(TEST_FLAGS)

## The sample run: decode and describe the scans, find their pose with the orientation
## canonicalizer, evaluate the blood-cell classifier (with its D4 robustness) on samples/cells,
## and validate two pipeline files against the sample models.
demo: release
	$(RELEASE_BIN) inspect samples/scans/*
	$(RELEASE_BIN) canonicalize -m samples/models/orientation-d4 samples/scans/*
	$(RELEASE_BIN) evaluate samples/models/bccd-cells samples/cells
	$(RELEASE_BIN) validate pipelines/classify-cells.json
	$(RELEASE_BIN) validate pipelines/segment-em.json

## Trains the sample models of samples/models/ on the real data in $(DATA) (minutes each).
models: release
	DATA=$(DATA) BIN=$(RELEASE_BIN) scripts/train-sample-models.sh

bench: release
	$(RELEASE_BIN) bench decode --json
	$(RELEASE_BIN) bench conv --json

clean:
	rm -rf .build
