#!/bin/sh
# Set up backprop on a fresh Debian/Ubuntu machine: system packages (Graphviz; with --test
# also what the test suite drives), then a virtual environment in .venv with backprop installed.
#   sh scripts/setup.sh           # for using the tool
#   sh scripts/setup.sh --test    # for running the test suite too
set -eu
cd "$(dirname "$0")/.."

with_tests=no
[ "${1:-}" = "--test" ] && with_tests=yes

missing=""
command -v dot >/dev/null 2>&1 || missing="$missing graphviz"
# Without any font, Graphviz draws labels as empty boxes (a minimal Debian has none).
fc-list 2>/dev/null | grep -q . || missing="$missing fonts-dejavu-core"
python3 -c "import ensurepip, venv" >/dev/null 2>&1 || missing="$missing python3-venv"
if [ "$with_tests" = yes ]; then
    # pdflatex (with amsmath) compiles --format latex --standalone in the tests
    command -v pdflatex >/dev/null 2>&1 || missing="$missing texlive-latex-base"
    # headless Chromium drives the HTML stepper's browser tests (through Playwright, never its own download)
    command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
fi
if [ -n "$missing" ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "Installing system packages:$missing"
    $sudo apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
if [ "$with_tests" = yes ]; then
    .venv/bin/python -m pip install -q ".[test]"
else
    .venv/bin/python -m pip install -q .
fi
