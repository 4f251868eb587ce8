#!/usr/bin/env bash
# Regenerates assets/tui.svg, the README's picture of the TUI: the sample incident's
# Plan tab with four steps marked done, drawn from a TestBackend buffer (no terminal or
# recording tool needed, so the picture is the same on every machine).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --quiet --example tui_screenshot > assets/tui.svg
echo "wrote assets/tui.svg"
