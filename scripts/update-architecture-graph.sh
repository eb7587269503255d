#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# update-architecture-graph.sh — rewrites the include-graph block of
# docs/ARCHITECTURE.md (between its include-graph markers) from
# scripts/include-graph.sh --doc. Run it after adding or moving includes.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
graph=$(sh "$root/scripts/include-graph.sh" --doc "$root")
GRAPH="$graph" python3 - "$root/docs/ARCHITECTURE.md" <<'PY'
import os, re, sys
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
new, n = re.subn(r"(<!-- include-graph:begin -->\n).*?(<!-- include-graph:end -->)",
                 lambda m: m.group(1) + os.environ["GRAPH"] + "\n" + m.group(2), text, flags=re.S)
if n != 1:
    sys.exit("update-architecture-graph: no include-graph markers in " + path)
open(path, "w", encoding="utf-8").write(new)
PY
