#!/usr/bin/env bash
# `npm ci` without the EBADENGINE flood, honestly. npm runs on the machine's Node (e.g. 20) and checks
# every package's `engines` against it; but nothing here runs on that Node: npm scripts run on the
# Node 24 that the `node` dev dependency installs (package.json `engines`, and `devEngines` for npm's
# own runtime). So the warnings are checked against the Node that will really run the packages, and
# summarized in one line; any package that the pinned Node does not satisfy is still reported.
# Sourced by setup.sh.

npm_ci_checked() {
  local log status
  log=$(mktemp)
  npm ci --no-audit --no-fund 2>"$log" && status=0 || status=$?
  grep -v '^npm warn EBADENGINE' "$log" >&2 || true
  if [ "$status" -ne 0 ]; then rm -f "$log"; return "$status"; fi
  local flagged
  flagged=$(sed -n "s/^npm warn EBADENGINE   package: '\(.*\)',$/\1/p" "$log")
  rm -f "$log"
  [ -z "$flagged" ] && return 0
  # shellcheck disable=SC2086
  node_modules/.bin/node -e '
    const semver = require("semver");
    const fs = require("node:fs");
    const flagged = process.argv.slice(1);
    const bad = flagged.filter((id) => {
      const name = id.slice(0, id.lastIndexOf("@"));
      let range = ">=0";
      try { range = JSON.parse(fs.readFileSync(`node_modules/${name}/package.json`, "utf8")).engines?.node ?? range; } catch {}
      return !semver.satisfies(process.version, range, { includePrerelease: true });
    });
    const npmNode = process.env.NPM_NODE;
    if (bad.length) {
      console.error(`These packages do not support the pinned Node ${process.version}: ${bad.join(", ")}`);
      process.exit(1);
    }
    console.log(`npm (on Node ${npmNode}) flagged ${flagged.length} packages as needing a newer Node; all run on the pinned Node ${process.version} that npm scripts use.`);
  ' $flagged
}
