#!/bin/sh
# Make sure the Debian packages the build and the tests need are installed.
# As root: apt-get install what is missing.  Otherwise: print the command.
missing=""
for p in "$@"; do
        s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
        case "$s" in
        *"install ok installed"*) ;;
        *) missing="$missing $p" ;;
        esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
        echo "deps: installing$missing"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing && exit 0
        echo "deps: apt-get install failed" >&2
        exit 1
fi
echo "deps: missing Debian packages; run as root:" >&2
echo "  apt-get install$missing" >&2
exit 1
