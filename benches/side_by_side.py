"""trustpath next to what people reach for instead, on the same generated graph.

networkx: load (json.load + building a DiGraph), blast radius (`nx.descendants`), shortest
path; a bare JSON parse (Python's json, and jq). trustpath's figures come from the binary
itself (TRUSTPATH_TIMINGS=1 prints where its time went), so both sides include parsing.
Run through side_by_side.sh, which builds trustpath, installs networkx and generates the graph.
"""

import json
import os
import shutil
import subprocess
import sys
import time

import networkx as nx


def trustpath(binary, graph, *args):
    """Runs trustpath and returns its timings (load, analysis, output in s; peak in MiB) and wall time."""
    env = dict(os.environ, TRUSTPATH_TIMINGS="1")
    start = time.perf_counter()
    done = subprocess.run(
        [binary, "-i", graph, *args], env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True, check=True,
    )
    wall = time.perf_counter() - start
    line = next(l for l in done.stderr.splitlines() if l.startswith("timings:"))
    parts = [p.split() for p in line[len("timings:"):].split("·")]
    timings = {p[0]: float(p[1]) / 1e3 for p in parts if p[2] == "ms"}
    timings.update({p[0]: float(p[1]) for p in parts if p[2] == "MiB"})
    return timings, wall


def python_load(graph):
    """json.load and a networkx DiGraph of the edges trustpath follows: the times of
    both, the graph and the suggested source."""
    start = time.perf_counter()
    with open(graph, encoding="utf-8") as f:
        doc = json.load(f)
    t_json = time.perf_counter() - start
    source = doc["metadata"]["suggested_compromised"]
    start = time.perf_counter()
    # The same edges trustpath follows: not dormant, and not out of a dead credential
    # (generated graphs give no expiry times, only statuses).
    dead_statuses = {"inactive", "disabled", "revoked", "expired", "deleted", "suspended",
                     "deactivated"}
    dead = {n["id"] for n in doc["nodes"]
            if (n.get("credential") or {}).get("status", "").strip().lower() in dead_statuses}
    g = nx.DiGraph()
    g.add_nodes_from(n["id"] for n in doc["nodes"])
    g.add_edges_from((e["from"], e["to"]) for e in doc["edges"]
                     if not e.get("dormant") and e["from"] not in dead)
    t_build = time.perf_counter() - start
    return t_json, t_build, g, source


def main():
    graph, binary = sys.argv[1], sys.argv[2]
    snapshot = sys.argv[3] if len(sys.argv) > 3 else None
    reference = float(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[4] else None
    size_mb = os.path.getsize(graph) / 1e6

    t_json, t_build, g, source = python_load(graph)

    t_jq = None
    if shutil.which("jq"):
        start = time.perf_counter()
        subprocess.run(["jq", ".nodes | length", graph], stdout=subprocess.DEVNULL, check=True)
        t_jq = time.perf_counter() - start

    # The analyses are timed best of three on both sides: this VM's timings vary by tens
    # of percent from run to run.
    t_desc = None
    for _ in range(3):
        start = time.perf_counter()
        reached = nx.descendants(g, source)
        t_desc = min(t_desc or float("inf"), time.perf_counter() - start)

    depths = nx.single_source_shortest_path_length(g, source)
    target = max(depths, key=lambda n: (depths[n], n))
    t_sp = None
    for _ in range(3):
        start = time.perf_counter()
        hops = len(nx.shortest_path(g, source, target)) - 1
        t_sp = min(t_sp or float("inf"), time.perf_counter() - start)

    def best(*args):
        runs = [trustpath(binary, graph, *args) for _ in range(3)]
        timings = {k: min(r[0][k] for r in runs) for k in runs[0][0]}
        return timings, min(r[1] for r in runs)

    # End to end, both sides in turn, best of three rounds (of one when Python's load
    # takes more than half a minute, as at a million nodes): a phase of the VM that
    # slows one side then slows the other in the same round.
    python_walls = [t_json + t_build + t_desc]
    runs = [trustpath(binary, graph, "blast", "-c", source, "--format", "json")]
    if t_json + t_build < 30:
        for _ in range(2):
            t_j, t_b, g_again, _ = python_load(graph)
            start = time.perf_counter()
            nx.descendants(g_again, source)
            python_walls.append(t_j + t_b + time.perf_counter() - start)
            del g_again
            runs.append(trustpath(binary, graph, "blast", "-c", source, "--format", "json"))
    blast = {k: min(r[0][k] for r in runs) for k in runs[0][0]}
    walls = [r[1] for r in runs]
    blast_wall = min(walls)
    path, _ = best("path", source, target)
    snap, snap_wall = (None, None)
    if snapshot:
        def best_snapshot(*args):
            runs = [trustpath(binary, snapshot, *args) for _ in range(3)]
            timings = {k: min(r[0][k] for r in runs) for k in runs[0][0]}
            return timings, min(r[1] for r in runs)
        snap, snap_wall = best_snapshot("blast", "-c", source, "--format", "json")

    rows = [
        ("parse / load", "Python json.load", t_json, blast["load"]),
        ("", "jq .nodes|length", t_jq, blast["load"]),
        ("", "json.load + nx.DiGraph", t_json + t_build, blast["load"]),
        ("blast radius", "nx.descendants", t_desc, blast["analysis"]),
        ("shortest path", "nx.shortest_path", t_sp, path["analysis"]),
    ]
    print(f"graph: {graph} ({size_mb:.0f} MB), {g.number_of_nodes():,} nodes, "
          f"{g.number_of_edges():,} edges; source {source}")
    print(f"networkx reaches {len(reached) + 1:,} nodes (the edges trustpath follows: none dormant, "
          f"none out of a dead credential); path target {target} ({hops} hops)")
    print(f"trustpath blast --format json, whole run: {blast_wall:.2f} s, "
          f"peak memory {blast.get('peak', float('nan')):.0f} MiB")
    print()
    print(f"{'':<14} {'other tool':<24} {'other':>10} {'trustpath':>10}  ratio")
    for what, tool, other, ours in rows:
        if other is None:
            print(f"{what:<14} {tool:<24} {'(no jq)':>10}")
            continue
        ratio = other / ours if ours > 0 else float("inf")
        print(f"{what:<14} {tool:<24} {other:>9.3f}s {ours:>9.3f}s  "
              f"{'trustpath ' + format(ratio, '.1f') + 'x faster' if ratio >= 1 else 'trustpath ' + format(1 / ratio, '.1f') + 'x slower'}")
    print()
    baseline = min(t for t in (t_json, t_jq) if t is not None)
    print(f"targets: blast >= 20x faster than nx.descendants: {t_desc / blast['analysis']:.0f}x; "
          f"load within 3x of a bare JSON parse: {blast['load'] / baseline:.2f}x")
    python_blast = min(python_walls)
    rounds = ", ".join(f"{p / t:.1f}x" for p, t in zip(python_walls, walls))
    print(f"blast end to end (process start to JSON written) against json.load + nx.DiGraph + "
          f"nx.descendants, best of {len(walls)} rounds in turn ({python_blast:.2f} s): from JSON "
          f"{blast_wall:.3f} s, {python_blast / blast_wall:.1f}x faster (round by round: {rounds})")
    if snap is not None:
        print(f"from the snapshot: load {snap['load']:.3f} s ({blast['load'] / snap['load']:.1f}x faster "
              f"than from JSON), whole run {snap_wall:.2f} s ({python_blast / snap_wall:.1f}x faster "
              f"than Python), peak memory {snap.get('peak', float('nan')):.0f} MiB")
    if reference:
        line = (f"against the reference loader ({reference:.2f} s, benches/reference_loader.rs): "
                f"JSON load {blast['load'] / reference:.2f}x (target 1.5x)")
        if snap is not None:
            line += f", snapshot load {snap['load'] / reference:.2f}x (target 0.15x)"
        print(line)


if __name__ == "__main__":
    main()
