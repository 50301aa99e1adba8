# EquiScan build entry points. `make demo` and `make test` do all set-up on a fresh Debian
# machine with Swift installed.

SWIFT ?= swift
DEB_PACKAGES := libpng-dev libjpeg-dev libtiff-dev libopenblas-dev libdnnl-dev libsqlite3-dev pkg-config
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

## The sample run: the four pipelines of pipelines/ over the scans of samples/, with the
## sample models. Results go to $(DEMO_OUT)/PIPELINE/ (results/CASE.json, run.json, written
## masks and overlays); running it again skips every case that is complete and unchanged.
DEMO_OUT ?= .build/demo

demo: release
	$(RELEASE_BIN) inspect samples/scans/*
	$(RELEASE_BIN) run -p pipelines/classify-cells.json -i samples/cells \
	    -o $(DEMO_OUT)/classify-cells
	$(RELEASE_BIN) run -p pipelines/orientation-correction.json \
	    -i samples/scans/ct_small_128.tif -i samples/scans/mr_small_64.png \
	    -i samples/scans/skimage_microaneurysms.png -i samples/scans/stardist_he_histo.jpg \
	    -o $(DEMO_OUT)/orientation-correction
	$(RELEASE_BIN) run -p pipelines/segment-em.json -i samples/em -o $(DEMO_OUT)/segment-em
	$(RELEASE_BIN) run -p pipelines/segment-brain-tissue.json -i samples/brain \
	    -o $(DEMO_OUT)/segment-brain-tissue
	@echo "Results: $(DEMO_OUT)/*/results/ (one JSON record per case), $(DEMO_OUT)/*/run.json,"
	@echo "masks and overlays under $(DEMO_OUT)/segment-*/, classify-cells/results.csv."

## Trains the sample models of samples/models/ on the real data in $(DATA) (minutes each).
models: release
	DATA=$(DATA) BIN=$(RELEASE_BIN) scripts/train-sample-models.sh

bench: release
	$(RELEASE_BIN) bench decode --json
	$(RELEASE_BIN) bench conv --json
	$(RELEASE_BIN) bench pipeline --json

clean:
	rm -rf .build
