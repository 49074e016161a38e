{{/* Names, labels and the pieces both components share. */}}

{{- define "kedawatch.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* <release>-kedawatch, or the release name when it already says kedawatch; 54 characters leave room for "-operator". */}}
{{- define "kedawatch.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 54 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 54 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 54 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "kedawatch.scaler.fullname" -}}
{{- printf "%s-scaler" (include "kedawatch.fullname" .) -}}
{{- end -}}

{{- define "kedawatch.operator.fullname" -}}
{{- printf "%s-operator" (include "kedawatch.fullname" .) -}}
{{- end -}}

{{- define "kedawatch.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels: stable across upgrades. Call with (dict "ctx" $ "component" "scaler"). */}}
{{- define "kedawatch.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kedawatch.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Every object's labels. Call with (dict "ctx" $ "component" "scaler"). */}}
{{- define "kedawatch.labels" -}}
{{ include "kedawatch.selectorLabels" . }}
app.kubernetes.io/version: {{ include "kedawatch.imageTag" .ctx | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: kedawatch
helm.sh/chart: {{ include "kedawatch.chart" .ctx }}
{{- with .ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "kedawatch.imageTag" -}}
{{- default .Chart.AppVersion .Values.image.tag -}}
{{- end -}}

{{- define "kedawatch.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (include "kedawatch.imageTag" .) -}}
{{- end -}}
{{- end -}}

{{- define "kedawatch.scaler.serviceAccountName" -}}
{{- default (include "kedawatch.scaler.fullname" .) .Values.scaler.serviceAccount.name -}}
{{- end -}}

{{- define "kedawatch.operator.serviceAccountName" -}}
{{- default (include "kedawatch.operator.fullname" .) .Values.operator.serviceAccount.name -}}
{{- end -}}

{{/* Where KEDA reaches the scaler: the scaler Service's cluster DNS name and gRPC port. */}}
{{- define "kedawatch.scalerAddress" -}}
{{- if .Values.operator.scalerAddress -}}
{{- .Values.operator.scalerAddress -}}
{{- else -}}
{{- printf "%s.%s.svc.%s:%d" (include "kedawatch.scaler.fullname" .) .Release.Namespace .Values.clusterDomain (int .Values.scaler.port) -}}
{{- end -}}
{{- end -}}

{{/* "true" when the operator runs several replicas, with kopf peering electing the active one; else "". */}}
{{- define "kedawatch.operator.ha" -}}
{{- if gt (int .Values.operator.replicas) 1 -}}true{{- end -}}
{{- end -}}

{{- define "kedawatch.tlsMountPath" -}}/etc/kedawatch/tls{{- end -}}

{{- define "kedawatch.triggerAuthenticationName" -}}
{{- default (printf "%s-tls" (include "kedawatch.scaler.fullname" .)) .Values.tls.triggerAuthentication.name -}}
{{- end -}}

{{/* The pod-level hardening both components share: a fixed non-root user, RuntimeDefault seccomp.
fsGroup lets that user read the IRSA web-identity token that EKS projects into the pod. */}}
{{- define "kedawatch.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "kedawatch.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
privileged: false
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Logging flags, as environment variables (`KEDAWATCH_<FLAG>`). */}}
{{- define "kedawatch.logEnv" -}}
- name: KEDAWATCH_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
- name: KEDAWATCH_LOG_JSON
  value: {{ .Values.logJson | toString | quote }}
{{- end -}}

{{/* The scheduling fields a pod spec takes from a component's values. */}}
{{- define "kedawatch.scheduling" -}}
{{- with .priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* The operator's rules on its own kinds and what it writes: for its ClusterRole, or each watched namespace's Role.
No wildcard anywhere. kopf patches objects and their status; AppObservability creates, patches and prunes its
CloudWatchMetricAlarm, CloudWatchLogAlarm and CloudWatchAlarmMuteRule children and ScaledObject, whose
ownerReferences set blockOwnerDeletion, which needs update on appobservabilities/finalizers. */}}
{{- define "kedawatch.operator.rules" -}}
- apiGroups: ["kedawatch.io"]
  resources: ["appobservabilities", "cloudwatchcompositealarms"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["kedawatch.io"]
  resources: ["cloudwatchmetricalarms", "cloudwatchlogalarms", "cloudwatchalarmmuterules"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["kedawatch.io"]
  resources:
    - "appobservabilities/status"
    - "cloudwatchmetricalarms/status"
    - "cloudwatchcompositealarms/status"
    - "cloudwatchlogalarms/status"
    - "cloudwatchalarmmuterules/status"
  verbs: ["get", "patch"]
- apiGroups: ["kedawatch.io"]
  resources: ["appobservabilities/finalizers"]
  verbs: ["update"]
- apiGroups: ["cw.aws.com"]
  resources: ["cloudwatchmetricalarms", "cloudwatchcompositalarms"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["cw.aws.com"]
  resources: ["cloudwatchmetricalarms/status", "cloudwatchcompositalarms/status"]
  verbs: ["get", "patch"]
- apiGroups: ["keda.sh"]
  resources: ["scaledobjects"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- if .Values.prometheusRules.enabled }}
{{- /* prometheus-operator's kind: read, annotated with what became of it, and the owner of its alarm objects. */}}
- apiGroups: ["monitoring.coreos.com"]
  resources: ["prometheusrules"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["monitoring.coreos.com"]
  resources: ["prometheusrules/finalizers"]
  verbs: ["update"]
{{- end }}
{{- end -}}

{{/* An IntOrString value: "50%" stays a string, 1 stays a number. */}}
{{- define "kedawatch.intOrString" -}}
{{- if kindIs "string" . -}}{{ quote . }}{{- else -}}{{ int . }}{{- end -}}
{{- end -}}

{{- define "kedawatch.tenancyPolicy" -}}
{{- dict "default" .Values.tenancy.default "namespaces" .Values.tenancy.namespaces "roles" .Values.tenancy.roles | toJson -}}
{{- end -}}

{{- define "kedawatch.tenancyMountPath" -}}/etc/kedawatch/tenancy{{- end -}}

{{- define "kedawatch.alertRoutes" -}}
{{- dict "routes" .Values.prometheusRules.routes "default" .Values.prometheusRules.default | toJson -}}
{{- end -}}

{{- define "kedawatch.alertRoutesMountPath" -}}/etc/kedawatch/alert-routes{{- end -}}

{{- /* Pod annotations: the user's, and the policy's digest, since the components read it only at start. */ -}}
{{- define "kedawatch.podAnnotations" -}}
checksum/tenancy: {{ include "kedawatch.tenancyPolicy" .ctx | sha256sum | trunc 16 | quote }}
{{- with .annotations }}
{{ toYaml . }}
{{- end }}
{{- end -}}
