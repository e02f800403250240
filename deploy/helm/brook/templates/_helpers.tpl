{{/*
Names, labels and derived values shared by the templates.
*/}}

{{- define "brook.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 52 | trimSuffix "-" }}
{{- end }}

{{/*
The prefix of every object name. At most 52 characters: StatefulSet pods are named
<fullname>-<ordinal> and carry that name in a label (63 characters at most), and the
autoscaler's objects add "-autoscaler".
*/}}
{{- define "brook.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "brook.headlessServiceName" -}}
{{- printf "%s-headless" (include "brook.fullname" .) }}
{{- end }}

{{- define "brook.autoscalerName" -}}
{{- printf "%s-autoscaler" (include "brook.fullname" .) }}
{{- end }}

{{- define "brook.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "brook.applicationId" -}}
{{- default (include "brook.fullname" .) .Values.app.applicationId }}
{{- end }}

{{/* Labels of every object. */}}
{{- define "brook.labels" -}}
helm.sh/chart: {{ include "brook.chart" . }}
app.kubernetes.io/name: {{ include "brook.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: brook
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector labels of the app pods. */}}
{{- define "brook.selectorLabels" -}}
app.kubernetes.io/name: {{ include "brook.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: app
{{- end }}

{{/* Selector labels of the autoscaler pod. */}}
{{- define "brook.autoscalerSelectorLabels" -}}
app.kubernetes.io/name: {{ include "brook.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: autoscaler
{{- end }}

{{- define "brook.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "brook.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "brook.autoscalerServiceAccountName" -}}
{{- default (include "brook.autoscalerName" .) .Values.autoscaler.serviceAccount.name }}
{{- end }}

{{- define "brook.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{- define "brook.autoscalerImage" -}}
{{- $repo := .Values.autoscaler.image.repository | default .Values.image.repository }}
{{- $tag := .Values.autoscaler.image.tag | default .Values.image.tag | default .Chart.AppVersion }}
{{- printf "%s:%s" $repo $tag }}
{{- end }}

{{/* True (non-empty) when `brook autoscale` runs: modes hpa, keda and brook. */}}
{{- define "brook.autoscalerEnabled" -}}
{{- if has .Values.autoscaling.mode (list "hpa" "keda" "brook") }}true{{ end }}
{{- end }}

{{- define "brook.stateDir" -}}
{{- printf "%s/state" (.Values.persistence.mountPath | trimSuffix "/") }}
{{- end }}

{{/*
terminationGracePeriodSeconds: the preStop sleep plus the app's shutdown timeout must fit
in it, or the kubelet kills the app in the middle of its commit.
*/}}
{{- define "brook.terminationGracePeriodSeconds" -}}
{{- $needed := add (int .Values.lifecycle.preStopSleepSeconds) (int .Values.app.shutdownTimeoutSeconds) }}
{{- $grace := int .Values.lifecycle.terminationGracePeriodSeconds }}
{{- if eq $grace 0 }}
{{- add $needed 15 }}
{{- else if le $grace $needed }}
{{- fail (printf "lifecycle.terminationGracePeriodSeconds (%d) must exceed lifecycle.preStopSleepSeconds + app.shutdownTimeoutSeconds (%d)" $grace $needed) }}
{{- else }}
{{- $grace }}
{{- end }}
{{- end }}

{{/* The app container's command. */}}
{{- define "brook.command" -}}
{{- $cmd := .Values.app.command }}
{{- if not $cmd }}
{{- $cmd = list .Values.app.example "run" "-c" "/etc/brook/brook.properties" }}
{{- end }}
{{- toYaml (concat $cmd .Values.app.extraArgs) }}
{{- end }}

{{/*
The arguments of `brook autoscale` (src/cli/autoscale.cc; `brook autoscale --help`), one
"--flag=value" element each, from the values. tests/helm runs them through the real binary
with --check, so a flag the CLI does not know fails the test.
  - the target: this release's StatefulSet through the in-cluster service account;
  - the instances: ordinal by ordinal through the headless Service (the pattern follows the
    current replica count; publishNotReadyAddresses makes every pod resolvable);
  - hpa/keda: --recommend-only (the HPA acts; its behavior is the stabilizer), brook: the
    stabilizer and drain settings.
*/}}
{{- define "brook.autoscalerArgs" -}}
{{- $a := .Values.autoscaler }}
{{- $args := list
  (printf "--target=k8s:%s/%s" .Release.Namespace (include "brook.fullname" .))
  (printf "--instances-pattern=%s-{ordinal}.%s.%s.svc.%s:%d" (include "brook.fullname" .) (include "brook.headlessServiceName" .) .Release.Namespace .Values.http.clusterDomain (int .Values.http.port))
  (printf "--listen=:%d" (int $a.port))
  (printf "--interval-ms=%d" (int64 $a.intervalMs))
  (printf "--http-timeout-ms=%d" (int64 $a.httpTimeoutMs))
  (printf "--min-replicas=%d" (int .Values.autoscaling.minReplicas))
  (printf "--max-replicas=%d" (int .Values.autoscaling.maxReplicas)) }}
{{- if eq .Values.autoscaling.mode "brook" }}
{{- $args = concat $args (list
  (printf "--scale-up-window-ms=%d" (int64 $a.scaleUpWindowMs))
  (printf "--scale-down-window-ms=%d" (int64 $a.scaleDownWindowMs))
  (printf "--cooldown-ms=%d" (int64 $a.cooldownMs))
  (printf "--max-scale-up-step=%d" (int $a.maxScaleUpStep))
  (printf "--max-scale-down-step=%d" (int $a.maxScaleDownStep))
  (printf "--drain-timeout-ms=%d" (int64 $a.drainTimeoutMs))) }}
{{- else }}
{{- $args = append $args "--recommend-only" }}
{{- end }}
{{- toYaml (concat $args $a.extraArgs) }}
{{- end }}
