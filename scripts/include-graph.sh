#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# include-graph.sh — prints the graph of #include "…" edges between the
# project's own files, folder by folder (one "a -> b" line per edge, paths
# from the repository root), and checks that media/ has no include circle.
#
# The check works on modules, not files: a file x.c, its header x.h and
# x_internal.h are one module "x", so "a.c includes b.h while b.c includes
# a.h" counts as the circle it is. Exit status: 0 when media/ has no
# circle, 1 when it has one (the circle is printed), 2 on a usage error.
# Never writes anything.
#
#   scripts/include-graph.sh [ROOT]        ROOT: repository (default: ..)
set -eu
root=${1:-$(dirname "$0")/..}
[ -d "$root" ] || { echo "include-graph: no directory $root" >&2; exit 2; }
exec python3 - "$root" <<'PY'
import os, re, sys

root = os.path.abspath(sys.argv[1])
folders = ["core", "http", "media", "signaling", "vod", "portal", "recordings", "iptv", "daemon"]
inc = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)

def files(folder):
    d = os.path.join(root, folder)
    out = []
    for dp, _, names in os.walk(d):
        for n in names:
            if n.endswith((".c", ".h")):
                out.append(os.path.relpath(os.path.join(dp, n), root))
    return sorted(out)

def resolve(src, name):
    for base in (os.path.dirname(src), ""):
        cand = os.path.normpath(os.path.join(base, name))
        if os.path.isfile(os.path.join(root, cand)):
            return cand
    return None  # a system or generated header

def edges(folder):
    out = []
    for f in files(folder):
        with open(os.path.join(root, f), encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        for name in inc.findall(text):
            dst = resolve(f, name)
            if dst and dst != f:
                out.append((f, dst))
    return out

def module(path):
    stem = os.path.splitext(path)[0]
    return stem[: -len("_internal")] if stem.endswith("_internal") else stem

def find_cycle(graph):
    """A list of modules forming a circle, or None (iterative DFS)."""
    colour, parent = {}, {}
    for start in sorted(graph):
        if colour.get(start):
            continue
        stack = [(start, iter(sorted(graph[start])))]
        colour[start] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                colour[node] = 2
                stack.pop()
                continue
            c = colour.get(nxt, 0)
            if c == 1:
                cyc, n = [nxt], node
                while n != nxt:
                    cyc.append(n)
                    n = parent[n]
                cyc.append(nxt)
                return list(reversed(cyc))
            if c == 0:
                colour[nxt] = 1
                parent[nxt] = node
                stack.append((nxt, iter(sorted(graph.get(nxt, ())))))
    return None

status = 0
for folder in folders:
    if not os.path.isdir(os.path.join(root, folder)):
        continue
    es = edges(folder)
    print(f"# {folder}/ ({len(es)} edges)")
    for a, b in es:
        print(f"{a} -> {b}")
    if folder == "media":
        graph = {}
        for a, b in es:
            ma, mb = module(a), module(b)
            if ma != mb and mb.startswith("media/"):
                graph.setdefault(ma, set()).add(mb)
                graph.setdefault(mb, set())
        cyc = find_cycle(graph)
        if cyc:
            print("include-graph: media/ has an include circle: " + " -> ".join(cyc), file=sys.stderr)
            status = 1
        else:
            print(f"# media/: {len(graph)} modules, no circle")
    print()
sys.exit(status)
PY
