#!/usr/bin/env bash
# Re-runs the Jupyter notebooks here and writes their outputs back into them, ready to commit (charts reference plotly.js
# on its CDN instead of carrying it; each figure is also a PNG output), with the pinned dotnet-repl. A notebook whose
# run fails is left as it was and the script exits non-zero.
#   [MSUN_FEED=DIR] notebooks/regenerate-outputs.sh [NOTEBOOK.ipynb...]   (default: every .ipynb here; python3 tidies the JSON)
set -euo pipefail
configuration="${MSUN_CONFIGURATION:-release}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/.."
# The notebooks reference the libraries as packages from the local feed (Release); packing builds them, which also
# applies the Debian 12 fix to TorchSharp's native library in the NuGet cache. MSUN_FEED=DIR uses a feed already packed.
[ -n "${MSUN_FEED:-}" ] || build/pack-local-feed.sh >/dev/null
dotnet tool restore >/dev/null
cd "$here"
[ $# -gt 0 ] || set -- *.ipynb
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
failed=0
for notebook in "$@"; do
  name="$(basename "$notebook")"
  start=$SECONDS
  if MSUN_PLOTLY_JS=cdn MSUN_NOTEBOOK_OUT="$scratch/out" \
     dotnet repl --run "$name" --exit-after-run --output-format ipynb --output-path "$scratch/$name" >"$scratch/$name.log" 2>&1; then
    # Package restore redraws its "Installing Packages" note once per dot, each kept as an output: keep the last one.
    python3 - "$scratch/$name" "$name" <<'PY'
import json, sys
nb = json.load(open(sys.argv[1]))
for cell in nb["cells"]:
    outputs = cell.get("outputs", [])
    notes = [i for i, o in enumerate(outputs) if "Installing Packages" in "".join(o.get("data", {}).get("text/html", []))]
    cell["outputs"] = [o for i, o in enumerate(outputs) if i not in notes[:-1]] if notes else outputs
json.dump(nb, open(sys.argv[2], "w"), indent=1, ensure_ascii=False)
open(sys.argv[2], "a").write("\n")
PY
    echo "$name: outputs regenerated in $((SECONDS - start)) s"
  else
    echo "$name: a cell failed; left unchanged (log: dotnet repl output below)" >&2
    tail -40 "$scratch/$name.log" >&2
    failed=1
  fi
done
exit "$failed"
