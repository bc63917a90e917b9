#!/usr/bin/env bash
# Rebuilds bot/console/static/vendor/dingtalk-jsapi-<version>.min.js: the part of DingTalk's JSAPI (npm package
# dingtalk-jsapi, MIT) the 工作台's H5 免登 needs — env, ready(), requestAuthCode — as one script for the page.
# The npm package ships CommonJS modules only, so esbuild bundles them; run by hand when the version changes.
set -euo pipefail
VERSION=${1:-3.2.9}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund "dingtalk-jsapi@$VERSION" esbuild@0.25.12 >/dev/null
cp "$here/scripts/dingtalk-jsapi-entry.js" entry.js
npx esbuild entry.js --bundle --minify --format=iife --target=es2017 \
  --outfile="$here/bot/console/static/vendor/dingtalk-jsapi-$VERSION.min.js"
sha256sum "$here/bot/console/static/vendor/dingtalk-jsapi-$VERSION.min.js"
