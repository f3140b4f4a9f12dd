#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what the tests need, then runs them.
# As root (or with sudo that asks no password, as on a CI runner) it installs the Debian
# packages of the real components the tests use; otherwise it says which are missing, and the
# tests that need them fail naming the package.
set -euo pipefail
cd "$(dirname "$0")/.."

# command the tests run : the Debian package that provides it
REQUIRED=(
  ansible-playbook:ansible-core
  git:git
  prometheus-alertmanager:prometheus-alertmanager
  prometheus:prometheus
  promtool:prometheus
  kubectl:kubectl
  flock:util-linux
  redis-server:redis-server
  chromium:chromium
)
DEBIAN_PACKAGES=()
missing=()
for pair in "${REQUIRED[@]}"; do
  package=${pair#*:}
  [[ " ${DEBIAN_PACKAGES[*]} " == *" $package "* ]] || DEBIAN_PACKAGES+=("$package")
  command -v "${pair%%:*}" >/dev/null 2>&1 || [[ " ${missing[*]} " == *" $package "* ]] || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  # As root, or through sudo where it asks no password (a CI runner), install them.
  as_root=()
  [ "$(id -u)" = 0 ] || as_root=(sudo -n)
  if command -v apt-get >/dev/null 2>&1 && { [ ${#as_root[@]} -eq 0 ] || sudo -n true 2>/dev/null; }; then
    echo "test.sh: installing Debian packages: ${missing[*]}"
    "${as_root[@]}" apt-get update -qq
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "test.sh: missing Debian packages ${missing[*]} (of ${DEBIAN_PACKAGES[*]}); install them as root: apt-get install ${missing[*]}" >&2
  fi
fi

npm ci --no-audit --no-fund --loglevel=error
npm run --silent typecheck
node scripts/gen-types.mjs --check

report=$(mktemp)
trap 'rm -f "$report"' EXIT
status=0
npx vitest run --reporter=default --reporter=json --outputFile="$report" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const files = r.testResults.map((f) => ({ name: require("path").relative(process.cwd(), f.name), s: (f.endTime - f.startTime) / 1000 }));
  console.log("slowest test files:");
  for (const f of files.sort((a, b) => b.s - a.s).slice(0, 10)) console.log(`  ${f.s.toFixed(1).padStart(6)} s  ${f.name}`);
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
  if (r.numTotalTests === 0) process.exit(1);
' "$report" || status=1
exit $status
