#!/usr/bin/env bash
# What the integration tests need on the machine: the real consumers of the generated files
# (rsyslogd, logrotate, MariaDB, OpenSSH, Python 3, pcre2grep, xmllint, ansible-playbook, ansible-lint, sudo, tar),
# and the shells whose completion scripts ctconnect prints (zsh, fish; bash is there).
# Run by `npm test` and by .ci/run. As root it installs what is missing with apt-get; otherwise
# it names exactly what is missing and the command to install it, and stops (exit 1).
set -euo pipefail

PACKAGES=(rsyslog logrotate openssh-server openssh-client mariadb-server mariadb-client pcre2-utils libxml2-utils python3 sudo tar ansible-core ansible-lint zsh fish)

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "test-deps: this is not a Debian-based system (no dpkg-query); the integration tests need the equivalents of these Debian packages: ${PACKAGES[*]}" >&2
  exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "test-deps: the integration tests need these Debian packages, which are not installed: ${missing[*]}" >&2
  echo "test-deps: install them as root, then run the tests again:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "test-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Debian's package scripts start the services they install; the tests run their own instances on
# random ports. A service that was running before (the sshd an admin is logged in through, the
# machine's rsyslog or MariaDB) is never stopped: policy-rc.d keeps the install from starting or
# restarting any, and afterwards only what this install started is stopped.
SERVICES=(rsyslog mariadb ssh)
running_before=()
for svc in "${SERVICES[@]}"; do
  service "$svc" status >/dev/null 2>&1 && running_before+=("$svc")
done
POLICY=${TEST_DEPS_POLICY_RC_D:-/usr/sbin/policy-rc.d}
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\n# written by ctconnect scripts/test-deps.sh for the length of its apt-get install\nexit 101\n' >"$POLICY"
  chmod 755 "$POLICY"
  trap 'rm -f "$POLICY"' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
for svc in "${SERVICES[@]}"; do
  case " ${running_before[*]} " in *" $svc "*) continue ;; esac
  if service "$svc" status >/dev/null 2>&1; then
    echo "test-deps: stopping $svc, which the install started" >&2
    service "$svc" stop >/dev/null 2>&1 || true
  fi
done
