#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# check-layering.sh — the include rules of docs/ARCHITECTURE.md, checked
# over the source tree (registered as the unit/layering test):
#
#  1. Only store files include sqlite3.h: a file named store*.c in any
#     folder (core/store.c, core/store_records.c, signaling/store.c,
#     vod/store_reports.c, …). The one exemption is the unit tests' shared
#     fixture, tests/unit/fixture_store.h, through which tests assert on
#     rows. (core/store.h names sqlite3_stmt without declaring SQLite's
#     API, so the compiler refuses SQLite calls anywhere else.)
#  2. core/ includes nothing from another folder: a quoted include in
#     core/ is either "core/…" or a bare name of a file in core/, and no
#     include of any kind names another project folder.
#
# Usage: check-layering.sh [SOURCE_DIR]   (default: this script's repo)
#        check-layering.sh --self-test    (proves both rules can fail)
# Prints every offending line as path:line: text; exits 1 if any.
set -euo pipefail

folders="core media http portal signaling recordings vod daemon bench tests"

check() {
  local root=$1 bad=0 f rel line n inc
  cd "$root"
  # Rule 1: sqlite3.h outside store*.c.
  while IFS= read -r f; do
    rel=${f#./}
    case "$(basename "$rel")" in store*.c) continue ;; esac
    [ "$rel" = tests/unit/fixture_store.h ] && continue
    while IFS= read -r line; do
      echo "$rel:$line  <- only store*.c files may include sqlite3.h"
      bad=1
    done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]sqlite3\.h[>"]' "$f" || true)
  done < <(for d in $folders; do [ -d "$d" ] && find "$d" -name '*.[ch]'; done | sort)

  # Rule 2: core/ includes only core/ and system headers.
  if [ -d core ]; then
    while IFS= read -r f; do
      while IFS=: read -r n line; do
        inc=$(printf '%s\n' "$line" | sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^>"]+)[>"].*/\1/p')
        [ -n "$inc" ] || continue
        case "$inc" in
          core/*) continue ;;
        esac
        case "$line" in
          *'"'*)
            # A quoted bare name must be a core/ file; anything with a
            # folder is another folder's header.
            if [ "${inc#*/}" = "$inc" ] && [ -f "core/$inc" ]; then continue; fi
            ;;
          *)
            # <…>: a system header unless it names a project folder.
            first=${inc%%/*}
            if [ "$first" = "$inc" ] || ! printf ' %s ' "$folders" | grep -q " $first "; then
              continue
            fi
            ;;
        esac
        echo "$f:$n:$line  <- core/ includes only core/ and system headers"
        bad=1
      done < <(grep -nE '^[[:space:]]*#[[:space:]]*include' "$f" || true)
    done < <(find core -name '*.[ch]' | sort)
  fi
  return $bad
}

self_test() {
  local t rc=0
  t=$(mktemp -d)
  self_test_in "$t" || rc=1
  rm -rf "$t"
  return $rc
}

self_test_in() {
  local t=$1
  mkdir -p "$t/core" "$t/media" "$t/vod" "$t/tests/unit"
  printf '#include "store.h"\n#include <sqlite3.h>\n' >"$t/core/store_x.c"
  printf '#include "core/store.h"\n#include <glib.h>\n' >"$t/core/ok.c"
  : >"$t/core/store.h"
  printf '#include <sqlite3.h>\n' >"$t/tests/unit/fixture_store.h"
  (check "$t") || { echo "self-test: a clean tree was refused"; return 1; }
  printf '#include <sqlite3.h>\n' >"$t/media/peer.c"
  printf '#include "vod/store.h"\n' >"$t/core/a.c"
  printf '#include "store_vod.h"\n' >"$t/core/b.c"
  printf '#include <signaling/store.h>\n' >"$t/core/c.h"
  local out
  if out=$(check "$t"); then
    echo "self-test: a bad tree passed"
    return 1
  fi
  for want in media/peer.c:1 core/a.c:1 core/b.c:1 core/c.h:1; do
    printf '%s\n' "$out" | grep -q "^$want:" || {
      echo "self-test: $want not reported"
      printf '%s\n' "$out"
      return 1
    }
  done
  echo "self-test: both rules fail on a bad tree and pass a clean one"
}

if [ "${1:-}" = --self-test ]; then
  self_test
  exit
fi
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
if check "$root"; then
  echo "layering: ok"
else
  exit 1
fi
