#!/usr/bin/env bash
# The entry point of action.yml, runnable locally from a policy repository's folder:
#
#   HOMEOSTAT_BASE=origin/main bash /path/to/homeostat/scripts/github-action.sh
#
# HOMEOSTAT_BASE        the revision to compare with (required)
# HOMEOSTAT_ALERTS      recorded alerts: space-separated paths or globs (default: alerts/*.json alerts/*.jsonl)
# HOMEOSTAT_FAIL_ON_CHANGE  'true' to fail when a decision changes
# HOMEOSTAT_COMMENT_OUT, HOMEOSTAT_ANNOTATIONS_OUT   files to write the comment and annotations to
#
# In a workflow, GITHUB_TOKEN, GITHUB_REPOSITORY and GITHUB_EVENT_PATH name the pull request the
# comment is posted to; without them the comment is printed (or written to HOMEOSTAT_COMMENT_OUT).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${HOMEOSTAT_BIN:-$here/dist/engine/cli/main.js}"
if [[ -z "${HOMEOSTAT_BASE:-}" ]]; then
  echo "homeostat review: set HOMEOSTAT_BASE to the revision to compare with (in a workflow: the pull request's base)" >&2
  exit 2
fi

args=(review . --base "$HOMEOSTAT_BASE")
# Globs that match nothing are dropped: a repository without recorded alerts is still reviewed.
shopt -s nullglob
read -r -a patterns <<< "${HOMEOSTAT_ALERTS:-alerts/*.json alerts/*.jsonl}"
alerts=()
for pattern in "${patterns[@]}"; do
  for file in $pattern; do alerts+=("$file"); done
done
shopt -u nullglob
if (( ${#alerts[@]} )); then args+=(--alerts "${alerts[@]}"); fi
[[ "${HOMEOSTAT_FAIL_ON_CHANGE:-false}" == true ]] && args+=(--fail-on-change)
[[ -n "${HOMEOSTAT_COMMENT_OUT:-}" ]] && args+=(--comment-out "$HOMEOSTAT_COMMENT_OUT")
[[ -n "${HOMEOSTAT_ANNOTATIONS_OUT:-}" ]] && args+=(--annotations-out "$HOMEOSTAT_ANNOTATIONS_OUT")

exec node "$bin" "${args[@]}"
