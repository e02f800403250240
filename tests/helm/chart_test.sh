#!/usr/bin/env bash
# The Helm chart (deploy/helm/brook) rendered and validated strictly, no cluster needed:
# brook-chart-validate (deploy/helm/validate) renders it with Helm's library as `helm
# template` does, validates every object against the Kubernetes and CRD schemas of
# deploy/helm/validate/schemas.lock, and checks the content with tests/helm/expect/*.yaml.
#
# Usage: chart_test.sh [CASE...]
#   build          build the validator if missing and fetch the schemas (the ctest fixture)
#   <name>         ci/<name>-values.yaml with expect/common.yaml and expect/<name>.yaml;
#                  when it runs `brook autoscale`, its rendered command line must be accepted
#                  by the real binary: `brook autoscale <args> --check`
#   negative       misspelt fields, values, enums, references, autoscaler flags: each must
#                  fail, naming the template, the object and the field (or the flag)
# No CASE: all of them. Exit status 0 when every check passed.
#
# BROOK_BIN: the `brook` binary of the build (CMake passes it); needed by the autoscaler
# checks, which fail without it.
set -euo pipefail
export LC_ALL=C
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
chart="$root/deploy/helm/brook"
lock="$root/deploy/helm/validate/schemas.lock"
work="$(mktemp -d "${TMPDIR:-/tmp}/brook-chart-test.XXXXXX")"
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }

validator="$("$root/deploy/helm/validate/build")" || {
  echo "FAIL: could not build the chart validator (see above)"
  echo "0 passed, 1 failed"
  exit 1
}
validate() {
  "$validator" -schemas "$lock" -release brook -namespace streams "$@"
}

case_build() {
  if validate -fetch-schemas -q; then pass "validator built, schemas fetched"; else fail "schemas"; fi
}

case_values() {
  local name=$1 values="$chart/ci/$1-values.yaml"
  [[ -f "$values" ]] || { fail "$name: no $values"; return; }
  [[ -f "$here/expect/$name.yaml" ]] || { fail "$name: no expect/$name.yaml"; return; }
  if validate -chart "$chart" -f "$values" -expect "$here/expect/common.yaml" \
    -expect "$here/expect/$name.yaml" -output "$work/$name.yaml"; then
    pass "$name: every object valid, expectations met"
  else
    fail "$name"
  fi
  if grep -q '^kind: Deployment$' "$work/$name.yaml"; then
    autoscaler_check "$name: autoscaler command line" "$chart" 0 "arguments ok" -- -f "$values"
  fi
}

# The autoscaler container's command and args as rendered (one per line), from
# validator arguments.
autoscaler_command() {
  validate -q "$@" -print \
    'Deployment/brook-autoscaler={range .spec.template.spec.containers[?(@.name=="autoscaler")].command[*]}{@}{"\n"}{end}{range .spec.template.spec.containers[?(@.name=="autoscaler")].args[*]}{@}{"\n"}{end}'
}

# output_has_all WHAT OUTPUT SUBSTRING...: fails (status 1) naming the first substring the
# output lacks, and prints the output.
output_has_all() {
  local what=$1 out=$2 w
  shift 2
  for w in "$@"; do
    if [[ "$out" != *"$w"* ]]; then
      fail "$what: the output lacks '$w'; output:"
      printf '%s\n' "$out" | sed 's/^/    /'
      return 1
    fi
  done
}

# autoscaler_check NAME CHART_DIR WANT_RC SUBSTRING... -- VALIDATOR_ARGS...: render the chart,
# run the autoscaler's command line with the real binary and --check (it validates every flag
# and value, reads no file, connects nowhere); its exit status must be WANT_RC and its output
# contain every substring.
autoscaler_check() {
  local name=$1 dir=$2 want_rc=$3
  shift 3
  local want=()
  while (($# > 0)) && [[ "$1" != -- ]]; do
    want+=("$1")
    shift
  done
  shift
  if [[ -z "${BROOK_BIN:-}" || ! -x "${BROOK_BIN:-}" ]]; then
    fail "$name: BROOK_BIN (the brook binary of the build) is not set or not executable"
    return
  fi
  local cmd
  if ! cmd="$(autoscaler_command -chart "$dir" "$@")"; then
    fail "$name: could not render the autoscaler's command"
    return
  fi
  local argv=()
  mapfile -t argv <<<"$cmd"
  if ((${#argv[@]} < 2)) || [[ "${argv[0]}" != brook || "${argv[1]}" != autoscale ]]; then
    fail "$name: the command is not 'brook autoscale ...': ${argv[*]}"
    return
  fi
  local out rc=0
  # (BROOK_BIN itself is unset for the binary: it reads BROOK_* variables as config keys.)
  out="$(env -u BROOK_BIN "$BROOK_BIN" "${argv[@]:1}" --check 2>&1)" || rc=$?
  if ((rc != want_rc)); then
    fail "$name: brook ${argv[*]:1} --check: exit status $rc, want $want_rc; output:"
    printf '%s\n' "$out" | sed 's/^/    /'
    return
  fi
  output_has_all "$name: brook ${argv[*]:1} --check" "$out" "${want[@]}" || return
  pass "$name: brook ${argv[*]:1} --check: exit status $rc ($(printf '%s\n' "$out" | head -n 1 | cut -c1-120))"
}

# expect_failure NAME CHART_DIR SUBSTRING... -- VALIDATOR_ARGS...: the validator must exit 1
# and its output must contain every substring.
expect_failure() {
  local name=$1 dir=$2
  shift 2
  local want=()
  while (($# > 0)) && [[ "$1" != -- ]]; do
    want+=("$1")
    shift
  done
  shift
  local out rc=0
  out="$(validate -chart "$dir" "$@" 2>&1)" || rc=$?
  if ((rc != 1)); then
    fail "$name: exit status $rc, want 1; output:"
    printf '%s\n' "$out" | sed 's/^/    /'
    return
  fi
  output_has_all "$name" "$out" "${want[@]}" || return
  pass "$name: rejected ($(printf '%s\n' "$out" | grep -m1 '^error:\|rendering' | cut -c1-160))"
}

# patched NAME FILE SED-EXPR: a copy of the chart with one template edited; prints its path.
patched() {
  local dir="$work/$1"
  rm -rf "$dir"
  cp -r "$chart" "$dir"
  sed -i "$3" "$dir/templates/$2"
  if cmp -s "$chart/templates/$2" "$dir/templates/$2"; then
    echo "patched: '$3' changed nothing in $2" >&2
    return 1
  fi
  echo "$dir"
}

case_negative() {
  local d ci="$chart/ci"
  # A misspelt field of a built-in kind (decoding into k8s.io/api with unknown fields rejected).
  d="$(patched grace statefulset.yaml 's/terminationGracePeriodSeconds:/terminationGracePeriodSecond:/')"
  expect_failure "misspelt StatefulSet field" "$d" \
    'templates/statefulset.yaml: StatefulSet brook: unknown field "spec.template.spec.terminationGracePeriodSecond"' \
    -- -f "$ci/default-values.yaml"
  # A misspelt field of a custom resource (the CRD's structural schema: pruned = error).
  d="$(patched smon servicemonitor.yaml '0,/scrapeTimeout:/s//scrapeTimout:/')"
  expect_failure "misspelt ServiceMonitor field" "$d" \
    'templates/servicemonitor.yaml: ServiceMonitor brook: unknown field "spec.endpoints[0].scrapeTimout"' \
    -- -f "$ci/hpa-values.yaml"
  d="$(patched keda scaledobject.yaml 's/pollingInterval:/pollingIntervall:/')"
  expect_failure "misspelt ScaledObject field" "$d" \
    'templates/scaledobject.yaml: ScaledObject brook: unknown field "spec.pollingIntervall"' \
    -- -f "$ci/keda-values.yaml"
  # A CRD field of the wrong form (the schema's pattern) and a missing required field.
  d="$(patched smon2 servicemonitor.yaml 's/interval: {{ .Values.metrics.serviceMonitor.interval }}/interval: 30 seconds/')"
  expect_failure "ServiceMonitor interval not a duration" "$d" \
    'ServiceMonitor brook: spec.endpoints[0].interval: Invalid value: "30 seconds"' \
    -- -f "$ci/hpa-values.yaml"
  d="$(patched hpa hpa.yaml 's/^  maxReplicas:/  maxReplica:/')"
  expect_failure "HPA without maxReplicas" "$d" \
    'HorizontalPodAutoscaler brook: unknown field "spec.maxReplica"' \
    'HorizontalPodAutoscaler brook: spec.maxReplicas: Required value' \
    -- -f "$ci/hpa-values.yaml"
  # An API version Kubernetes no longer serves.
  d="$(patched v2beta2 hpa.yaml 's|apiVersion: autoscaling/v2|apiVersion: autoscaling/v2beta2|')"
  expect_failure "removed API version" "$d" \
    'HorizontalPodAutoscaler brook: autoscaling/v2beta2 HorizontalPodAutoscaler is no kind of the Kubernetes API' \
    -- -f "$ci/hpa-values.yaml"
  # A wrong type, an unknown enumeration value, a duplicate key.
  d="$(patched type statefulset.yaml 's/replicas: {{ int .Values.replicas }}/replicas: "three"/')"
  expect_failure "replicas not an integer" "$d" \
    'StatefulSet brook: spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer' \
    -- -f "$ci/default-values.yaml"
  d="$(patched enum statefulset.yaml 's/podManagementPolicy: Parallel/podManagementPolicy: Paralel/')"
  expect_failure "podManagementPolicy misspelt" "$d" \
    'StatefulSet brook: spec.podManagementPolicy: Unsupported value: "Paralel"' \
    -- -f "$ci/default-values.yaml"
  d="$(patched dup service.yaml 's/^  clusterIP: None/  clusterIP: None\n  clusterIP: None/')"
  expect_failure "duplicate key" "$d" 'templates/service.yaml: invalid YAML' 'key "clusterIP" already set' \
    -- -f "$ci/default-values.yaml"
  # References inside the release: a Service selecting no pod, a Role that is not there.
  d="$(patched ref service.yaml 's/{{- include "brook.selectorLabels" . | nindent 4 }}/app: nothing/')"
  expect_failure "Service selecting no pod" "$d" \
    'Service brook-headless: spec.selector map[app:nothing] selects no pod template of the release' \
    -- -f "$ci/default-values.yaml"
  d="$(patched role autoscaler-rbac.yaml '/^  kind: Role$/{n;s/name: .*/name: other-role/}')"
  expect_failure "RoleBinding to a missing Role" "$d" \
    'RoleBinding brook-autoscaler: roleRef names Role "other-role", which the release does not create' \
    -- -f "$ci/brook-autoscaler-values.yaml"
  # Values: a misspelt key (values.schema.json), a bad env entry from the values, a grace
  # period shorter than the shutdown.
  printf 'autoscaling:\n  mod: hpa\n' >"$work/typo-values.yaml"
  expect_failure "misspelt value" "$chart" "at '/autoscaling': additional properties 'mod' not allowed" \
    -- -f "$work/typo-values.yaml"
  printf 'app:\n  extraEnv:\n    - valu: x\n' >"$work/env-values.yaml"
  expect_failure "env entry without a name" "$chart" \
    'StatefulSet brook: unknown field "spec.template.spec.containers[0].env[7].valu"' \
    'spec.template.spec.containers[0].env[7].name: Required value' \
    -- -f "$work/env-values.yaml"
  expect_failure "grace period too short" "$chart" \
    'lifecycle.terminationGracePeriodSeconds (20) must exceed' \
    -- --set lifecycle.terminationGracePeriodSeconds=20
  # The autoscaler's command line goes through the real binary: a misspelt flag in the
  # template, or extraArgs repeating a chart flag, fail. So do min/max the wrong way round.
  d="$(patched flag _helpers.tpl 's/--scale-down-window-ms=/--scale-down-windows-ms=/')"
  autoscaler_check "misspelt autoscaler flag" "$d" 2 'scale-down-windows-ms' \
    -- -f "$ci/brook-autoscaler-values.yaml"
  d="$(patched flag2 _helpers.tpl 's/--instances-pattern=%s-{ordinal}/--instances-pattern=%s-{ordnal}/')"
  autoscaler_check "bad instances pattern" "$d" 1 '--instances-pattern: ' 'unknown placeholder {ordnal}' \
    -- -f "$ci/hpa-values.yaml"
  autoscaler_check "extraArgs repeating a chart flag" "$chart" 2 '--interval-ms' \
    -- -f "$ci/keda-values.yaml" --set 'autoscaler.extraArgs[0]=--interval-ms=5'
  expect_failure "maxReplicas below minReplicas" "$chart" \
    'autoscaling.maxReplicas (2) must be at least autoscaling.minReplicas (3)' \
    -- -f "$ci/keda-values.yaml" --set autoscaling.minReplicas=3 --set autoscaling.maxReplicas=2
  # The content checks can fail too: the defaults have no HPA.
  expect_failure "expectations of another values file" "$chart" \
    'expect/hpa.yaml #1 (HorizontalPodAutoscaler): 0 rendered, want 1' \
    -- -f "$ci/default-values.yaml" -expect "$here/expect/hpa.yaml"
}

cases=("$@")
if ((${#cases[@]} == 0)); then
  cases=(build)
  for f in "$chart"/ci/*-values.yaml; do
    n="$(basename "$f")"
    cases+=("${n%-values.yaml}")
  done
  cases+=(negative)
fi
for c in "${cases[@]}"; do
  case "$c" in
    build) case_build ;;
    negative) case_negative ;;
    *) case_values "$c" ;;
  esac
done
echo "$passed passed, $failed failed"
((failed == 0))
