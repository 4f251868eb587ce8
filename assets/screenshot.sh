#!/usr/bin/env bash
# Regenerates the README's pictures of the TUI from TestBackend buffers (no terminal or
# recording tool needed, so the pictures are the same on every machine): the sample
# incident's Plan tab with four steps marked done (tui.svg), the Jewels tab then
# (tui-jewels.svg), and the fifth step whole (tui-step.svg).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --quiet --example tui_screenshot > assets/tui.svg
cargo run --quiet --example tui_screenshot jewels > assets/tui-jewels.svg
cargo run --quiet --example tui_screenshot step > assets/tui-step.svg
echo "wrote assets/tui.svg, assets/tui-jewels.svg, assets/tui-step.svg"
