#!/usr/bin/env bash
# Re-vendors uPlot, the chart library of the dashboard, from the npm registry
# at a pinned version, checks the tarball against its pinned integrity hash and
# copies the minified script, its stylesheet and the licence into
# httpapi/dashboard/vendor/uplot. Run it from anywhere; commit the result.
#
# To upgrade: change VERSION, run with INTEGRITY= (empty) to see the new
# tarball's hash, check the release notes, then pin that hash here.
set -euo pipefail

VERSION=1.6.32
INTEGRITY=${INTEGRITY-sha512-KIMVnG68zvu5XXUbC4LQEPnhwOxBuLyW1AHtpm6IKTXImkbLgkMy+jabjLgSLMasNuGGzQm/ep3tOkyTxpiQIw==}

root=$(cd "$(dirname "$0")/.." && pwd)
dest=$root/httpapi/dashboard/vendor/uplot
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cd "$tmp"
npm pack --silent "uplot@$VERSION" >/dev/null
tarball=uplot-$VERSION.tgz
got="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [[ -n $INTEGRITY && $got != "$INTEGRITY" ]]; then
	echo "vendor-uplot: $tarball has integrity $got, want $INTEGRITY" >&2
	exit 1
fi
tar -xzf "$tarball"
mkdir -p "$dest"
cp package/dist/uPlot.iife.min.js package/dist/uPlot.min.css package/LICENSE "$dest/"
echo "$VERSION $got" >"$dest/VERSION"
echo "vendor-uplot: uPlot $VERSION ($got) in ${dest#"$root"/}"
