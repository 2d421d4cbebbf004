#!/usr/bin/env bash
# Generates single_include/mutiny/mutiny.hpp, the one-file form of Mutiny, from include/mutiny/mutiny.hpp.
#
#   scripts/amalgamate.sh           regenerate (the file is rewritten only when its content changes)
#   scripts/amalgamate.sh --check   exit 1, with a diff summary, if the committed file is stale
#
# Project headers (#include "..." resolved against the including file's directory, then include/ and
# include/mutiny/; #include <mutiny/...>) are inlined recursively, each once; `#pragma once` lines are
# dropped and the output carries one of its own (classic include guards are kept as they are);
# .inl files (kernel sources read once per instruction-set level) are inlined at every inclusion.
# System includes are left as they are. A header first reached inside an #if/#ifdef/#ifndef (other
# than the including file's own include guard) is inlined again where it is next reached outside
# one, and every inlined header is wrapped in a guard of its own, so conditional includes stay right.
# The output depends only on the sources: no dates, no absolute paths. Bash and coreutils only.
set -euo pipefail
export LC_ALL=C

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
include_dir="$root/include"
entry="$include_dir/mutiny/mutiny.hpp"
out="$root/single_include/mutiny/mutiny.hpp"

check=0
case "${1:-}" in
  "") ;;
  --check) check=1 ;;
  -h|--help) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "amalgamate.sh: unknown argument '$1' (use --check)" >&2; exit 2 ;;
esac

declare -A inlined_unconditionally=()  # header -> 1 once inlined outside any conditional
declare -A inlined_under=()            # header|conditions -> 1 once inlined under those #if lines
declare -A in_progress=()              # headers on the current include stack (#pragma once cycles)

die() { echo "amalgamate.sh: $*" >&2; exit 2; }

# Canonical path of a project header, or nothing when $2 is not one. $1: the including file's dir.
resolve_quoted() {
  local dir="$1" name="$2" candidate path
  for candidate in "$dir/$name" "$include_dir/$name" "$include_dir/mutiny/$name"; do
    if [[ -f "$candidate" ]]; then
      path="$(realpath -e "$candidate")"
      [[ "$path" == "$include_dir/"* ]] || die "$name resolves outside include/: $path"
      printf '%s\n' "$path"
      return 0
    fi
  done
  return 0
}

guard_name() {  # include/mutiny/core/error.hpp -> MUTINY_AMALGAMATED_CORE_ERROR_HPP
  local rel="${1#"$include_dir/mutiny/"}"
  rel="${rel//[^A-Za-z0-9]/_}"
  printf 'MUTINY_AMALGAMATED_%s\n' "${rel^^}"
}

# emit <header> <conditional depth of the include site> <the #if lines enclosing the include site>
emit() {
  local path="$1" outer_depth="$2" outer_sig="${3:-}"
  # A .inl file is read once per inclusion (the instruction-set levels include the same kernels
  # into several namespaces): inlined at every site, without a guard.
  local reread=0
  [[ "$path" == *.inl ]] && reread=1
  if [[ -n "${in_progress[$path]:-}" ]] || { ((reread == 0)) && [[ -n "${inlined_unconditionally[$path]:-}" \
        || -n "${inlined_under[$path|$outer_sig]:-}" ]]; }; then
    return 0
  fi
  if ((reread == 0)); then
    if ((outer_depth == 0)); then inlined_unconditionally[$path]=1; fi
    inlined_under[$path|$outer_sig]=1
  fi
  in_progress[$path]=1
  # conds: the #if lines open at this line (the include guard's first); site_sig: those enclosing
  # an include site, outer ones first, so a header is inlined once per distinct condition.
  local -a conds=()
  local site_sig i

  local rel="${path#"$root/"}" dir="${path%/*}" guard line target
  # depth: #if nesting at this line. The file's own include guard (a leading #ifndef X / #define X)
  # is not a condition on what it includes, so it is discounted (guard_level).
  local depth=0 guard_level=0 site_depth seen_directive=0 guard_candidate=""
  guard="$(guard_name "$path")"
  if ((reread)); then
    printf '// ---- begin %s (read at each inclusion) ----\n' "$rel"
  else
    printf '// ---- begin %s ----\n#ifndef %s\n#define %s\n' "$rel" "$guard" "$guard"
  fi
  while IFS= read -r line || [[ -n "$line" ]]; do
    if [[ "$line" =~ ^[[:space:]]*#[[:space:]]*pragma[[:space:]]+once([[:space:]]|$) ]]; then
      continue
    fi
    if [[ "$line" =~ ^[[:space:]]*# ]]; then
      if ((seen_directive == 0)); then
        seen_directive=1
        if [[ "$line" =~ ^[[:space:]]*#[[:space:]]*ifndef[[:space:]]+([A-Za-z_][A-Za-z0-9_]*) ]]; then
          guard_candidate="${BASH_REMATCH[1]}"
        fi
      elif [[ -n "$guard_candidate" ]]; then
        if [[ "$line" =~ ^[[:space:]]*#[[:space:]]*define[[:space:]]+([A-Za-z_][A-Za-z0-9_]*)([[:space:]]|$) \
              && "${BASH_REMATCH[1]}" == "$guard_candidate" ]]; then
          guard_level=1
        fi
        guard_candidate=""
      fi
    fi
    site_depth=$((depth - guard_level))
    ((site_depth >= 0)) || site_depth=0
    site_sig="$outer_sig"
    for ((i = guard_level; i < ${#conds[@]}; ++i)); do site_sig+="|${conds[i]}"; done
    if [[ "$line" =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]]; then
      target="$(resolve_quoted "$dir" "${BASH_REMATCH[1]}")"
      if [[ -n "$target" ]]; then
        emit "$target" $((outer_depth + site_depth)) "$site_sig"
        continue
      fi
      echo "amalgamate.sh: warning: $rel: \"${BASH_REMATCH[1]}\" is not a project header; left as is" >&2
    elif [[ "$line" =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\<(mutiny/[^\>]+)\> ]]; then
      [[ -f "$include_dir/${BASH_REMATCH[1]}" ]] || die "$rel: <${BASH_REMATCH[1]}> not found in include/"
      emit "$(realpath -e "$include_dir/${BASH_REMATCH[1]}")" $((outer_depth + site_depth)) "$site_sig"
      continue
    elif [[ "$line" =~ ^[[:space:]]*#[[:space:]]*if ]]; then  # #if, #ifdef, #ifndef
      depth=$((depth + 1))
      conds+=("${line//[[:space:]]/}")
    elif [[ "$line" =~ ^[[:space:]]*#[[:space:]]*(else|elif) ]]; then
      ((${#conds[@]} > 0)) && conds[${#conds[@]} - 1]+="/${line//[[:space:]]/}"
    elif [[ "$line" =~ ^[[:space:]]*#[[:space:]]*endif ]]; then
      depth=$((depth - 1))
      ((${#conds[@]} > 0)) && unset 'conds[${#conds[@]} - 1]'
    fi
    printf '%s\n' "$line"
  done < "$path"
  if ((reread)); then
    printf '// ---- end %s ----\n' "$rel"
  else
    printf '#endif  // %s\n// ---- end %s ----\n' "$guard" "$rel"
  fi
  unset 'in_progress[$path]'
}

generate() {
  cat <<'EOF'
// Mutiny, single-header form. GENERATED by scripts/amalgamate.sh from include/mutiny/mutiny.hpp:
// do not edit; change the headers under include/mutiny/ and rerun the script.
//
// Mutiny: mutation testing and mutation analysis of deep neural networks, header-only C++17.
// Define MUTINY_IMPLEMENTATION in exactly one source file before including it (that file then
// carries the compiled part: the op kernels). Needs oneTBB, zlib and stb_image (and the OpenCL C++
// bindings when MUTINY_WITH_OPENCL is defined to 1): link with -ltbb -lz -lstb -lpthread (-lOpenCL).
// Compile with -ffp-contract=off (GCC, Clang) for the same bits with or without -march flags.
#pragma once

#define MUTINY_AMALGAMATED 1

EOF
  emit "$(realpath -e "$entry")" 0
}

[[ -f "$entry" ]] || die "$entry not found"
tmp="$(mktemp "${TMPDIR:-/tmp}/mutiny-amalgamate.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
generate > "$tmp"

if ((check)); then
  if [[ -f "$out" ]] && cmp -s "$tmp" "$out"; then
    echo "single_include/mutiny/mutiny.hpp is up to date"
    exit 0
  fi
  echo "single_include/mutiny/mutiny.hpp is stale: run scripts/amalgamate.sh" >&2
  if [[ -f "$out" ]]; then
    diff -u --label "single_include/mutiny/mutiny.hpp (committed)" --label "(regenerated)" "$out" "$tmp" > "$tmp.diff" || true
    added=$(grep -c '^+[^+]' "$tmp.diff" || true)
    removed=$(grep -c '^-[^-]' "$tmp.diff" || true)
    echo "  $added line(s) to add, $removed line(s) to remove; first differences:" >&2
    head -n 40 "$tmp.diff" | sed 's/^/  /' >&2
    rm -f "$tmp.diff"
  else
    echo "  (the file does not exist)" >&2
  fi
  exit 1
fi

mkdir -p "${out%/*}"
if [[ -f "$out" ]] && cmp -s "$tmp" "$out"; then
  echo "single_include/mutiny/mutiny.hpp unchanged"
else
  cp "$tmp" "$out"
  echo "wrote single_include/mutiny/mutiny.hpp ($(wc -l < "$out") lines)"
fi
