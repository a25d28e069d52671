{{/* Names and labels. */}}
{{- define "avi.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "avi.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "avi.selectorLabels" -}}
app.kubernetes.io/name: {{ include "avi.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "avi.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "avi.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: webhook
{{- end -}}

{{- define "avi.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "avi.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "avi.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/*
The MutatingWebhookConfiguration (cluster-scoped: the release namespace keeps names unique). The API
server calls mutating webhooks in the order of their configurations' names, so the fixed prefix makes
ours run before Istio's (istio-sidecar-injector*, istio-revision-tag-*) whatever the release is named
(docs/injection.md#istio).
*/}}
{{- define "avi.webhookConfigurationName" -}}
{{- printf "airflow-vault-injector.%s.%s" (include "avi.fullname" .) .Release.Namespace | trunc 253 | trimSuffix "-" | trimSuffix "." -}}
{{- end -}}

{{- define "avi.serviceDnsName" -}}
{{- printf "%s.%s.svc" (include "avi.fullname" .) .Release.Namespace -}}
{{- end -}}

{{/* The Secret the webhook serves from: self-issued, cert-manager's, or the user's. */}}
{{- define "avi.tlsSecretName" -}}
{{- if eq .Values.tls.mode "selfIssued" -}}
{{- default (printf "%s-tls" (include "avi.fullname" .)) .Values.tls.selfIssued.secretName -}}
{{- else if eq .Values.tls.mode "certManager" -}}
{{- printf "%s-tls" (include "avi.fullname" .) -}}
{{- else -}}
{{- required "tls.secret.name is required with tls.mode=secret" .Values.tls.secret.name -}}
{{- end -}}
{{- end -}}

{{/* Whether the webhook talks to the Kubernetes API at all (then it needs its token). */}}
{{- define "avi.usesApi" -}}
{{- if or (eq .Values.tls.mode "selfIssued") .Values.driftReport.enabled .Values.namespaceLabels.enabled -}}true{{- end -}}
{{- end -}}

{{/*
The settings document (injector/settings.ts): the vault, agent, injection and profiles values, with
agent.image defaulting to the chart's image. Empty optional values are dropped (the schema is strict).
*/}}
{{- define "avi.settings" -}}
{{- $agent := deepCopy .Values.agent -}}
{{- if not $agent.image -}}
{{- $_ := set $agent "image" (include "avi.image" .) -}}
{{- end -}}
{{- $vault := dict -}}
{{- range $k, $v := .Values.vault -}}
{{- if not (kindIs "invalid" $v) -}}{{- if or (not (kindIs "string" $v)) (ne $v "") -}}{{- $_ := set $vault $k $v -}}{{- end -}}{{- end -}}
{{- end -}}
{{- $_ := required "vault.address is required: Vault's address as the agents reach it, e.g. https://vault.vault.svc:8200" .Values.vault.address -}}
{{- $settings := dict "vault" $vault "agent" $agent "injection" .Values.injection "profiles" .Values.profiles -}}
{{- toYaml $settings -}}
{{- end -}}
