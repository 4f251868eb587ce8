#!/usr/bin/env bash
# trustpath next to networkx and a bare JSON parse, on one generated graph, in one run:
#     bash benches/side_by_side.sh [NODES]        (default 1000000)
# Builds trustpath, installs networkx into a virtualenv under target/, generates the
# graph (and its snapshot), and prints the figures and ratios (benches/side_by_side.py). jq is used when
# installed.
set -euo pipefail
cd "$(dirname "$0")/.."
nodes="${1:-1000000}"
cargo build --release --quiet
venv=target/side-by-side-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check networkx
graph="$(mktemp -d)/gen-$nodes.json"
./target/release/trustpath gen --nodes "$nodes" --seed 42 -o "$graph"
# The same graph as a binary snapshot: imported once, then every command reads it.
./target/release/trustpath import -i "$graph" --save "$graph.tpsnap" > /dev/null
# The floor a load is measured against (benches/reference_loader.rs).
reference="$(cargo bench --quiet --bench reference_loader -- "$graph" 2>/dev/null \
    | sed -n 's/^reference load: \([0-9.]*\) s$/\1/p')"
"$venv/bin/python" benches/side_by_side.py "$graph" ./target/release/trustpath "$graph.tpsnap" "$reference"
rm -f "$graph" "$graph.tpsnap"
