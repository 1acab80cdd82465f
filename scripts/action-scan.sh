#!/usr/bin/env bash
# The Scan step of action.yml: choose what to scan, fetch the history that needs, run
# keysweep. Inputs arrive as environment variables (see the step's `env:`), never
# spliced into this file. tests/test_ci_scripts.py runs the step against real
# repositories: a bare origin and a depth-1 clone, as actions/checkout leaves it.
#
# Works on the default shallow checkout: a range A..B is scanned only once every
# commit in it has its parents present, so that each commit's diff is what the commit
# added. Until then the history is deepened (`git fetch --deepen`, doubling), and as
# a last resort unshallowed. A pull request is never widened to the whole history: if
# its base or head cannot be fetched, the step fails (exit 2).
set -euo pipefail

zero=0000000000000000000000000000000000000000
depth=${FETCH_DEPTH:-50}
fetch_error=

g() { git -C "$SCAN_PATH" "$@"; }
say() { echo "keysweep: $*"; }
fail() {
  echo "::error::keysweep: $*"
  echo "exit-code=2" >>"${GITHUB_OUTPUT:-/dev/null}"
  exit 2
}
has_commit() { g cat-file -e "$1^{commit}" 2>/dev/null; }
is_shallow() { [ "$(g rev-parse --is-shallow-repository)" = true ]; }

# fetch ARGS...: `git fetch ARGS` quietly; on failure keeps git's last line in fetch_error.
fetch() {
  local err
  if err=$(g fetch --quiet --no-tags "$@" 2>&1); then
    return 0
  fi
  fetch_error=$(printf '%s\n' "$err" | sed '/^[[:space:]]*$/d' | tail -n 1)
  fetch_error=${fetch_error:-git fetch failed}
  return 1
}

# ensure_commit SHA [REFSPEC]: fetch SHA from origin unless it is here (shallowly in a
# shallow clone: complete_range deepens what the range needs).
ensure_commit() {
  local sha=$1 refspec=${2:-$1}
  has_commit "$sha" && return 0
  if is_shallow; then
    fetch --depth="$depth" origin "$refspec" || return 1
  else
    fetch origin "$refspec" || return 1
  fi
  has_commit "$sha" || { fetch_error="not found on origin"; return 1; }
}

# range_complete BASE TIP: every commit of BASE..TIP has its parents here (none of
# them is a shallow boundary), and BASE and TIP share an ancestor here, so BASE..TIP
# leaves out what the base already has.
range_complete() {
  is_shallow || return 0
  g merge-base "$1" "$2" >/dev/null 2>&1 || return 1
  local shallow cut
  shallow=$(g rev-parse --path-format=absolute --git-path shallow)
  [ -s "$shallow" ] || return 0
  cut=$(g rev-list "$1..$2" | grep -cxFf "$shallow" || true)
  [ "$cut" -eq 0 ]
}

# complete_range BASE TIP REFSPEC...: deepen the REFSPECs (which fetch BASE and TIP)
# until BASE..TIP is complete: doubling steps, then the whole history of both.
complete_range() {
  local base=$1 tip=$2 step=$depth round
  shift 2
  for round in 1 2 3 4 5 6 7 8; do
    range_complete "$base" "$tip" && return 0
    fetch --deepen="$step" origin "$@" || return 1
    step=$((step * 2))
  done
  range_complete "$base" "$tip" && return 0
  say "deepened $round times; fetching the whole history of $base and $tip"
  fetch --unshallow origin "$@" || return 1
}

# unshallow [REFSPEC...]: the complete history (of REFSPECs, default: what origin has).
unshallow() {
  is_shallow || return 0
  fetch --unshallow origin "$@"
}

scope=()
emit_scope() { say "scanning ${scope[*]:-every ref}"; }

scan_pull_request() {
  ensure_commit "$PR_BASE" || fail "cannot fetch the pull request's base $PR_BASE: $fetch_error"
  ensure_commit "$PR_HEAD" || fail "cannot fetch the pull request's head $PR_HEAD: $fetch_error"
  complete_range "$PR_BASE" "$PR_HEAD" "$PR_BASE" "$PR_HEAD" \
    || fail "cannot fetch the pull request's base $PR_BASE: $fetch_error"
  # A..B leaves out everything the base reaches: the scan starts at the merge base.
  local base
  base=$(g merge-base "$PR_BASE" "$PR_HEAD" 2>/dev/null) || base="(none: unrelated histories)"
  say "pull request: merge base $base"
  scope=(--range "$PR_BASE..$PR_HEAD")
}

# The whole history of the pushed commit (a new repository: nothing to compare with).
scan_pushed_history() {
  unshallow "$PUSH_AFTER" || fail "cannot fetch the history of $PUSH_AFTER: $fetch_error"
  say "push: $1; scanning the whole pushed history"
  scope=(--branch "$PUSH_AFTER")
}

# A forced push whose old tip is gone: what no other branch of origin has.
scan_beyond_other_branches() {
  local branch=${PUSH_REF#refs/heads/} others=() ref
  if is_shallow; then
    fetch --unshallow origin "+refs/heads/*:refs/remotes/origin/*" \
      || fail "cannot fetch origin's branches: $fetch_error"
  else
    fetch origin "+refs/heads/*:refs/remotes/origin/*" || fail "cannot fetch origin's branches: $fetch_error"
  fi
  while IFS= read -r ref; do
    [ "$ref" = "refs/remotes/origin/$branch" ] || [ "$ref" = refs/remotes/origin/HEAD ] || others+=(-p "$ref")
  done < <(g for-each-ref --format='%(refname)' refs/remotes/origin/)
  if [ "${#others[@]}" -eq 0 ]; then
    scan_pushed_history "before $PUSH_BEFORE cannot be fetched ($1) and origin has no other branch"
    return
  fi
  # keysweep's --range takes one A..B: A is a throwaway commit whose parents are the
  # other branches, so A..after is what none of them has.
  local empty tips
  empty=$(g hash-object -t tree /dev/null)
  tips=$(GIT_AUTHOR_NAME=keysweep GIT_AUTHOR_EMAIL=keysweep@localhost GIT_COMMITTER_NAME=keysweep \
    GIT_COMMITTER_EMAIL=keysweep@localhost g commit-tree "$empty" "${others[@]}" -m "other branches")
  say "push: before $PUSH_BEFORE cannot be fetched ($1); scanning $PUSH_AFTER's commits that no other branch of origin has"
  scope=(--range "$tips..$PUSH_AFTER")
}

scan_push() {
  if [ -z "$PUSH_AFTER" ] || [ "$PUSH_AFTER" = "$zero" ]; then
    say "push deleted ${PUSH_REF:-a ref}: nothing to scan"
    exit 0
  fi
  ensure_commit "$PUSH_AFTER" || fail "cannot fetch the pushed commit $PUSH_AFTER: $fetch_error"
  if [ -n "$PUSH_BEFORE" ] && [ "$PUSH_BEFORE" != "$zero" ]; then
    if ensure_commit "$PUSH_BEFORE" && complete_range "$PUSH_BEFORE" "$PUSH_AFTER" "$PUSH_BEFORE" "$PUSH_AFTER"; then
      if g merge-base --is-ancestor "$PUSH_BEFORE" "$PUSH_AFTER"; then
        say "push: $PUSH_BEFORE..$PUSH_AFTER"
      else
        say "forced push: $PUSH_BEFORE..$PUSH_AFTER, the commits the old tip did not have"
      fi
      scope=(--range "$PUSH_BEFORE..$PUSH_AFTER")
    else
      scan_beyond_other_branches "$fetch_error"
    fi
    return
  fi
  # A new branch (or tag): what the default branch lacks. The default branch's own
  # first push is a new repository's: its whole history.
  if [ -z "$DEFAULT_BRANCH" ] || [ "$PUSH_REF" = "refs/heads/$DEFAULT_BRANCH" ]; then
    scan_pushed_history "first push of ${PUSH_REF:-the branch}"
    return
  fi
  local default="refs/remotes/origin/$DEFAULT_BRANCH" refspec="+refs/heads/$DEFAULT_BRANCH:refs/remotes/origin/$DEFAULT_BRANCH"
  if ! has_commit "$default"; then
    if is_shallow; then
      fetch --depth="$depth" origin "$refspec" || true
    else
      fetch origin "$refspec" || true
    fi
  fi
  if ! has_commit "$default"; then
    scan_pushed_history "new branch, and origin has no $DEFAULT_BRANCH yet"
    return
  fi
  complete_range "$default" "$PUSH_AFTER" "$refspec" "$PUSH_AFTER" \
    || fail "cannot fetch the history of $DEFAULT_BRANCH and $PUSH_AFTER: $fetch_error"
  say "push: new ${PUSH_REF:-branch}: what $DEFAULT_BRANCH lacks, origin/$DEFAULT_BRANCH..$PUSH_AFTER"
  scope=(--range "$default..$PUSH_AFTER")
}

git_dir_error=$(g rev-parse --git-dir 2>&1 >/dev/null) || fail "cannot scan $SCAN_PATH: ${git_dir_error##*$'\n'}"
if [ "$SCAN_MODE" = full ]; then
  unshallow --tags "+refs/heads/*:refs/remotes/origin/*" \
    || fail "cannot fetch the whole history for scan: full: $fetch_error"
else
  case "$EVENT" in
    pull_request | pull_request_target) scan_pull_request ;;
    push) scan_push ;;
    *)
      unshallow --tags "+refs/heads/*:refs/remotes/origin/*" \
        || fail "cannot fetch the whole history for a $EVENT scan: $fetch_error"
      ;;
  esac
fi
emit_scope

# EXTRA_ARGS is split on spaces on purpose: it holds options.
code=0
keysweep git "$SCAN_PATH" ${scope[@]+"${scope[@]}"} --format sarif --output "$SARIF_FILE" --no-progress $EXTRA_ARGS || code=$?
echo "exit-code=$code" >>"${GITHUB_OUTPUT:-/dev/null}"
if [ "$code" -ge 2 ]; then
  echo "::error::keysweep failed (exit $code)"
  exit "$code"
fi
if [ "$code" -eq 1 ]; then
  echo "::error::keysweep found leaked secrets; see the code scanning alerts or $SARIF_FILE"
fi
exit 0
