#!/usr/bin/env bash
# Packs the four library packages (Msun.Analysis.Core, .Torch, .Reports, .Interactive; build/packages.slnf) into a
# folder feed that notebooks and projects outside this repository restore from:
#   build/pack-local-feed.sh [-c Release|Debug] [--no-build]
# The feed is $MSUN_ARTIFACTS/feed (artifacts/feed without MSUN_ARTIFACTS); its path is the one line on stdout.
# --no-build packs what the last build of that configuration left (the tests pack right after building).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
configuration=Release
no_build=()
while [ $# -gt 0 ]; do
  case "$1" in
    -c|--configuration)
      [ $# -ge 2 ] || { echo "pack-local-feed.sh: $1 needs a configuration (Release or Debug)" >&2; exit 2; }
      configuration="$2"; shift 2 ;;
    --no-build) no_build=(--no-build); shift ;;
    *) echo "pack-local-feed.sh: unknown argument '$1' (use -c CONFIGURATION, --no-build)" >&2; exit 2 ;;
  esac
done
feed="${MSUN_ARTIFACTS:-$root/artifacts}/feed"
# The one version of the packages (read from its one place without another MSBuild evaluation).
version="$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$root/Directory.Build.props")"
[ -n "$version" ] || { echo "pack-local-feed.sh: no <Version> in $root/Directory.Build.props" >&2; exit 2; }

dotnet pack "$root/build/packages.slnf" -c "$configuration" -p:PackageOutputPath="$feed/" "${no_build[@]}" -nologo -v q >&2

# A new pack keeps the version number, so drop the copies NuGet extracted from an earlier one: the next restore then
# takes these packages from the feed instead of the stale copies.
packages="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
for id in core torch reports interactive; do rm -rf "${packages%/}/msun.analysis.$id/$version"; done
echo "$feed"
