#!/bin/sh
# Installs what the rendering check needs: Graphviz's dot, and the pinned mermaid + jsdom.
set -eu
cd "$(dirname "$0")"
if ! command -v dot >/dev/null 2>&1; then
    apt-get update -qq
    apt-get install -y -qq graphviz
fi
npm ci --no-audit --no-fund
