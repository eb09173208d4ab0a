# Sourced by the test scripts (scripts/test-restic.sh, test-postgres.sh, test-fleet.sh):
# `bundle_tests FILE...` sets `runs` to the bundles node runs for those test files, building them
# first unless scripts/test.sh built every one already (HOSTVAULT_TEST_BUNDLES set; the tests' child
# processes find the command line's bundle there). Bundles start without tsx
# (scripts/build-test-cli.ts says why); a failure's stack names the bundle's lines, and the comment
# above each part of it names the source file.
bundle_tests() {
  if [ -z "${HOSTVAULT_TEST_BUNDLES:-}" ]; then
    HOSTVAULT_TEST_BUNDLES=$(node --import tsx scripts/build-test-cli.ts --tests "$@")
    export HOSTVAULT_TEST_BUNDLES
  fi
  runs=()
  local file
  for file in "$@"; do runs+=("dist/test-bundles/${file%.ts}.mjs"); done
}
