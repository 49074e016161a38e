#!/bin/sh
# Installs Debian's `prometheus` package, the PromQL engine behind the PromQL stand-in
# (kedawatch/standins/promql.py) in the tests and in `make demo`. Only where apt-get exists and we are root;
# elsewhere, or when the install fails, it says so and exits 0: the tests that need the engine then skip (the
# others use recorded answers), and the demo leaves out its PromQL part.
#
# The package's maintainer scripts would start a Prometheus service listening on every interface
# (0.0.0.0:9090). A policy-rc.d that refuses every start (exit 101, as in Debian's docker images) keeps it
# from starting while we install (we add one only if none is there, and remove what we added), and the
# service is disabled at boot afterwards. Every apt-get call is bounded by `timeout` and reads no terminal.
set -u

if command -v prometheus >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
    echo "install-prometheus: no apt-get or not root: the PromQL engine tests and the demo's PromQL part will skip" >&2
    exit 0
fi

policy=/usr/sbin/policy-rc.d
added_policy=no
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && added_policy=yes
fi

export DEBIAN_FRONTEND=noninteractive
# Bounded: an apt lock held elsewhere or an unreachable mirror must not hang `make`.
if ! apt-cache policy prometheus 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    timeout 300 apt-get update -qq </dev/null >/dev/null 2>&1
fi
timeout 600 apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confold prometheus \
    </dev/null >/dev/null 2>&1
status=$?

if [ "$added_policy" = yes ]; then
    rm -f "$policy"
fi
if [ "$status" = 0 ]; then
    # Nor at boot: the package enables its service for init and systemd alike.
    update-rc.d prometheus disable >/dev/null 2>&1
    deb-systemd-helper disable prometheus.service >/dev/null 2>&1
else
    echo "install-prometheus: apt-get install prometheus failed ($status): the PromQL engine tests and the demo's PromQL part will skip" >&2
fi
exit 0
