#!/usr/bin/env bash
# A fake app-server for the tap tests. It follows a script file, one step per line:
#   <        read one line from stdin (the client's next message); at end of input, exit
#   >TEXT    write TEXT and a newline to stdout
#   !TEXT    write TEXT and a newline to stderr
# then exits with the status given as the second argument (default 0). SIGTERM and SIGINT make it say so on stderr
# and exit with 42 (SIGINT) or 55 (SIGTERM), so a test can tell a forwarded signal from any other end.
set -u
trap 'echo "fake-app-server: got SIGTERM" >&2; exit 55' TERM
trap 'echo "fake-app-server: got SIGINT" >&2; exit 42' INT
while IFS= read -r step <&3; do
  case "$step" in
    # Read in short timed slices: bash runs a trap only between commands, so a signal that lands just before a
    # blocking read would wait for input that never comes (seen once in CI as a tap test hanging for 60 s).
    '<'*) until IFS= read -r -t 0.2 _; do [ $? -gt 128 ] || exit "${2:-0}"; done ;;
    '>'*) printf '%s\n' "${step#>}" ;;
    '!'*) printf '%s\n' "${step#!}" >&2 ;;
  esac
done 3<"$1"
exit "${2:-0}"
