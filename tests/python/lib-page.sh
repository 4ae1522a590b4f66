# check_page.sh PAGE.html WANT: loads PAGE in headless chromium and fails unless exactly WANT images are
# in it and every one of them decoded (naturalWidth > 0). Sourced by the python tests.
check_page() {
    local page=$1 want=$2 probe prof got
    command -v chromium >/dev/null || fail "chromium is not installed (scripts/deps.sh installs it)"
    probe="$(cd "$(dirname "$page")" && pwd)/$(basename "${page%.html}").probe.html"
    # A script after the page's own content counts the decoded images once everything has loaded and
    # writes the result into the DOM, which --dump-dom prints.
    sed 's|</body>|<script>window.addEventListener("load", function () { var im = document.images, ok = 0; for (var i = 0; i < im.length; i++) if (im[i].complete \&\& im[i].naturalWidth > 0) ok++; var d = document.createElement("div"); d.id = "smx-check"; d.textContent = "images " + ok + "/" + im.length; document.body.appendChild(d); });</script></body>|' \
        "$page" >"$probe"
    prof=$(mktemp -d "$SCRATCH/chromium.XXXXXX")
    timeout -k 5 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$prof" \
        --virtual-time-budget=10000 --dump-dom "file://$probe" >"$probe.dom" 2>"$probe.err" ||
        { tail -n 5 "$probe.err" >&2; fail "chromium could not load $page"; }
    got=$(grep -o 'id="smx-check">[^<]*' "$probe.dom" | sed 's/.*>//')
    [ "$got" = "images $want/$want" ] || fail "$page in chromium: '$got', want 'images $want/$want'"
}
