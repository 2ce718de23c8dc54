#!/usr/bin/env bash
# Brings the Debian packages of build/debian-packages.tsv: the one place that decides how (as root, or with sudo when it
# needs no password), when the package lists need an `apt-get update` (empty, older than a week, or without the
# package), and what to print when it cannot install.
#
#   debian-packages.sh --all        every package of the list that is not installed (.ci/run)
#   debian-packages.sh PACKAGE...   these packages; one already installed is reinstalled, because the caller (./msun)
#                                   found its files missing
#
# MSUN_NO_INSTALL=1 never installs: it prints the commands instead.
# Exit codes: 0 when everything asked for is installed, 3 when something is missing and was not installed (the
# commands are on stderr), 2 for a package that is not in the list.
set -euo pipefail
list="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/debian-packages.tsv"
lists_dir=/var/lib/apt/lists

why() { awk -F'\t' -v p="$1" '$1 == p { print $2 }' "$list"; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

if [ "${1:-}" = --all ]; then
  mapfile -t asked < <(grep -v '^#' "$list" | cut -f1 | sed '/^$/d')
  reinstall=0
else
  asked=("$@")
  reinstall=1
fi

install=() again=()
for p in "${asked[@]}"; do
  if [ -z "$(why "$p")" ]; then echo "msun: $p is not a package of $list" >&2; exit 2; fi
  if ! installed "$p"; then install+=("$p")
  elif [ "$reinstall" = 1 ]; then again+=("$p")
  fi
done
[ $((${#install[@]} + ${#again[@]})) -eq 0 ] && exit 0

for p in "${install[@]}"; do echo "msun: needs the Debian package $p: $(why "$p")" >&2; done
for p in "${again[@]}"; do echo "msun: the Debian package $p is installed but its files are missing: $(why "$p")" >&2; done

if [ "$(id -u)" = 0 ]; then sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo=(sudo)
else sudo=(sudo); cannot="you are not root and sudo asks for a password"
fi
[ "${MSUN_NO_INSTALL:-}" = 1 ] && cannot="MSUN_NO_INSTALL=1"

commands=("${sudo[*]:+${sudo[*]} }apt-get update")
[ ${#install[@]} -gt 0 ] && commands+=("${sudo[*]:+${sudo[*]} }apt-get install -y ${install[*]}")
[ ${#again[@]} -gt 0 ] && commands+=("${sudo[*]:+${sudo[*]} }apt-get install -y --reinstall ${again[*]}")
if [ -n "${cannot:-}" ]; then
  echo "msun: not installing ($cannot); run:" >&2
  for c in "${commands[@]}"; do echo "  $c" >&2; done
  exit 3
fi

# The lists are stale when there are none (a fresh machine), when none was refreshed within a week, or when one of
# the packages has no candidate in them.
stale=0
[ -z "$(find "$lists_dir" -maxdepth 1 -name '*_Packages*' -mtime -7 -print -quit 2>/dev/null)" ] && stale=1
for p in "${install[@]}" "${again[@]}"; do
  apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [^(]' || stale=1
done
if [ "$stale" = 1 ]; then
  echo "msun: ${sudo[*]:+${sudo[*]} }apt-get update (the package lists are empty, old or lack a package)" >&2
  "${sudo[@]}" apt-get update -qq >&2
fi
export DEBIAN_FRONTEND=noninteractive
if [ ${#install[@]} -gt 0 ]; then
  echo "msun: ${sudo[*]:+${sudo[*]} }apt-get install -y ${install[*]}" >&2
  "${sudo[@]}" apt-get install -y -qq "${install[@]}" >&2
fi
if [ ${#again[@]} -gt 0 ]; then
  echo "msun: ${sudo[*]:+${sudo[*]} }apt-get install -y --reinstall ${again[*]}" >&2
  "${sudo[@]}" apt-get install -y -qq --reinstall "${again[@]}" >&2
fi
