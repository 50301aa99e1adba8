# EquiScan build entry points. `make demo` and `make test` do all set-up on a fresh Debian
# machine with Swift installed.

SWIFT ?= swift
DEB_PACKAGES := libpng-dev libjpeg-dev libtiff-dev libopenblas-dev libdnnl-dev libsqlite3-dev pkg-config
# Headless Chromium for the test that opens report.html in a browser: about 125 MB to
# download and 415 MB installed, without recommends (46 s here).
TEST_DEB_PACKAGES := chromium
DATA ?= ../shared/data
RELEASE_BIN := .build/release/equiscan

.PHONY: deps build release test demo models bench slurm-check clean

## Installs those of the Debian packages $(1) that are missing, with apt-get flags $(2);
## $(3) runs when the install fails (empty: the failure stops make).
define install_missing
missing=""; for p in $(1); do \
    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" \
        || missing="$$missing $$p"; \
done; \
if [ -n "$$missing" ]; then \
    echo "installing:$$missing"; \
    SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
    ( $$SUDO apt-get update -qq && \
      DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(2) $$missing ) $(3); \
fi
endef

## Installs the Debian packages that are missing; does nothing when all are present. A
## failed install of the test-only packages skips the tests that need them, nothing more.
deps:
	@$(call install_missing,$(DEB_PACKAGES),,)
	@$(call install_missing,$(TEST_DEB_PACKAGES),--no-install-recommends,\
	    || echo "could not install$$missing; the tests that need it will be skipped")

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
## masks and overlays, reports/); running it again skips every case that is complete and
## unchanged.
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
	@echo "masks and overlays under $(DEMO_OUT)/segment-*/; reports (predictions.csv,"
	@echo "failures.csv, summary.json, report.html) in $(DEMO_OUT)/*/reports/."

## Trains the sample models of samples/models/ on the real data in $(DATA) (minutes each),
## recording the code revision in each metadata.json and saying whether each package's weights
## match the committed ones.
models: release
	DATA=$(DATA) BIN=$(RELEASE_BIN) \
	    EQUISCAN_CODE_REVISION=$$(git describe --always --dirty 2>/dev/null || echo unknown) \
	    scripts/train-sample-models.sh

bench: release
	$(RELEASE_BIN) bench decode --json
	$(RELEASE_BIN) bench conv --json
	$(RELEASE_BIN) bench pipeline --json

## Sharding under a real scheduler (needs root, so not part of `make test`): a one-node Slurm
## cluster on this machine (scripts/slurm-local.sh installs slurm-wlm and munge when missing
## and stops its daemons on exit), the cells of samples/ as a 3-task job array through
## deploy/slurm/equiscan-array.sbatch, `equiscan merge`, and a comparison with a single run
## of the same batch (scripts/slurm-check.sh). Prints one line; exits non-zero on a difference.
slurm-check: release
	EQUISCAN=$(abspath $(RELEASE_BIN)) scripts/slurm-local.sh scripts/slurm-check.sh

clean:
	rm -rf .build
