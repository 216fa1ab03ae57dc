{{/*
Chart name, truncated to 63 characters (the DNS label limit of Kubernetes names).
*/}}
{{- define "topology-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name: <release>-<chart>, or the release name when it already contains the
chart name; truncated to 63 characters.
*/}}
{{- define "topology-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "topology-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Standard labels (app.kubernetes.io/*, helm.sh/chart) on every object of the chart.
*/}}
{{- define "topology-operator.labels" -}}
helm.sh/chart: {{ include "topology-operator.chart" . }}
{{ include "topology-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: topology-operator
{{- end }}

{{/*
Selector labels: stable across upgrades (a Deployment's selector is immutable).
*/}}
{{- define "topology-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "topology-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{/*
Name of the operator's ServiceAccount.
*/}}
{{- define "topology-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "topology-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Name of the Secret holding the operator key (created by the operator; docs/security.md).
*/}}
{{- define "topology-operator.credentialsSecretName" -}}
{{- default (printf "%s-credentials" (include "topology-operator.fullname" .)) .Values.credentials.secretName }}
{{- end }}

{{/*
Name of the leader-election Lease (in the release namespace).
*/}}
{{- define "topology-operator.leaseName" -}}
{{- default (printf "%s-lock" (include "topology-operator.fullname" .)) .Values.leaderElection.leaseName }}
{{- end }}

{{/*
topology-operator.imageRef — the one builder of every image reference of the chart. Takes a dict:
  image       a values map with registry, repository, tag, digest (each optional)
  global      .Values.global (or nothing): its imageRegistry is used when image.registry is empty
  repository  default repository
  tag         default tag (the chart's appVersion)
Gives <registry>/<repository>:<tag>, or <registry>/<repository>@<digest> when digest is set (the
tag is then ignored: Bitnami's common.images.image convention, and what the kubelet pulls anyway);
no registry: <repository>:<tag>, which the container runtime resolves against its default registry.
*/}}
{{- define "topology-operator.imageRef" -}}
{{- $img := .image | default dict -}}
{{- $global := .global | default dict -}}
{{- $registry := $img.registry | default $global.imageRegistry | default "" | trimSuffix "/" -}}
{{- $repository := $img.repository | default .repository -}}
{{- $name := ternary (printf "%s/%s" $registry $repository) $repository (ne $registry "") -}}
{{- if $img.digest -}}
{{- printf "%s@%s" $name $img.digest -}}
{{- else -}}
{{- printf "%s:%s" $name (toString ($img.tag | default .tag)) -}}
{{- end -}}
{{- end }}

{{/*
Operator image reference (the Deployment and the helm test pod); the tag defaults to the chart's
appVersion.
*/}}
{{- define "topology-operator.image" -}}
{{- include "topology-operator.imageRef" (dict "image" .Values.image "global" .Values.global "repository" "topology-operator" "tag" .Chart.AppVersion) }}
{{- end }}

{{/*
topology-operator.sidecar — the sidecar container, for the pod template of YOUR workload.

Include it under `containers:` and include "topology-operator.sidecarVolumes" under `volumes:`
(it mounts the credentials Secret). Takes a dict; `topology` (or `tokenSecret`) is required, every
other key is optional:

  topology     name of the ClusterTopology whose member this pod is: the sidecar mounts that
               resource's credentials Secret, <topology>-sidecar-credentials, which the operator
               creates and keeps current (its Peer token, and the public key the operator's
               Control calls are signed with: a member can call nothing on Control; docs/security.md)
  tokenSecret  instead of `topology`: shared-token mode, for a resource naming
               spec.sidecar.tokenSecretRef (a Secret of type
               topology.foundation.dev/sidecar-token); weaker: members can drive Control
  tokenKey     key in that Secret (default token)
  root         the top-level context ($). When given and it has .Values.sidecar (this chart, or a
               chart depending on it), those values are the defaults below, and
               .Values.global.imageRegistry prefixes the image like every image of the chart.
  image        sidecar image reference (default: built by topology-operator.imageRef from
               .Values.sidecar.image and global.imageRegistry; topology-sidecar:<appVersion>, or
               "0.1.0" without root)
  pullPolicy   image pull policy (default IfNotPresent)
  healthPort   plaintext gRPC Health port for the readiness probe (default 7071)
  peerPort     Peer + Control gRPC port (default 7070: the CRD's default spec.sidecar.port, which it
               must equal)
  appPort      Overlay API port for the app (default 7947)
  appHost      address the Overlay API binds to (default 127.0.0.1: loopback, app-only). On the
               local node agent every pod shares the host loopback: use "$(POD_IP)" there (pod
               IPs are 127.0.x.y addresses, so it stays loopback-only).
  metricsPort  /metrics, /healthz, /readyz port (default 9464)
  logLevel     sidecar log level (default info)
  resources    container resources (default: requests 20m CPU / 64Mi, limit 256Mi)

Example (in a StatefulSet of your own chart):

  containers:
    - name: app
      image: my-app:1.0
      env:
        - name: TOPOLOGY_APP_ADDRESS     # where the app finds the Overlay API
          value: 127.0.0.1:7947
    {{- include "topology-operator.sidecar" (dict "topology" "chat") | nindent 4 }}
  volumes:
    {{- include "topology-operator.sidecarVolumes" (dict "topology" "chat") | nindent 4 }}

The container sets POD_NAME/POD_NAMESPACE/POD_IP from the downward API, binds Peer/Control to the
pod IP, is Ready when its grpc.health.v1 service answers SERVING, and runs non-root with a
read-only root filesystem.
*/}}
{{- define "topology-operator.sidecarSettings" -}}
{{- $o := . | default dict -}}
{{- $v := dict -}}
{{- $tag := "0.1.0" -}}
{{- $global := dict -}}
{{- if and (hasKey $o "root") $o.root -}}
{{- $tag = $o.root.Chart.AppVersion | default $tag -}}
{{- if $o.root.Values -}}
{{- $global = $o.root.Values.global | default dict -}}
{{- if hasKey $o.root.Values "sidecar" -}}
{{- $v = $o.root.Values.sidecar -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $img := $v.image | default dict -}}
{{- $image := include "topology-operator.imageRef" (dict "image" $img "global" $global "repository" "topology-sidecar" "tag" $tag) -}}
{{- $res := $v.resources | default (dict "requests" (dict "cpu" "20m" "memory" "64Mi") "limits" (dict "memory" "256Mi")) -}}
{{- $secret := "" -}}
{{- $shared := false -}}
{{- if $o.topology -}}
{{- $secret = printf "%s-sidecar-credentials" $o.topology -}}
{{- else if $o.tokenSecret -}}
{{- $secret = $o.tokenSecret -}}
{{- $shared = true -}}
{{- else -}}
{{- fail "topology-operator.sidecar needs `topology` (the name of the ClusterTopology this pod is a member of), or `tokenSecret` for shared-token mode" -}}
{{- end -}}
{{- $s := dict
  "image" ($o.image | default $image)
  "pullPolicy" ($o.pullPolicy | default ($img.pullPolicy | default "IfNotPresent"))
  "secret" $secret
  "shared" $shared
  "tokenKey" ($o.tokenKey | default "token")
  "healthPort" ($o.healthPort | default ($v.healthPort | default 7071))
  "peerPort" ($o.peerPort | default ($v.peerPort | default 7070))
  "appPort" ($o.appPort | default ($v.appPort | default 7947))
  "appHost" ($o.appHost | default ($v.appHost | default "127.0.0.1"))
  "metricsPort" ($o.metricsPort | default ($v.metricsPort | default 9464))
  "logLevel" ($o.logLevel | default ($v.logLevel | default "info"))
  "resources" ($o.resources | default $res)
-}}
{{- toJson $s -}}
{{- end }}

{{- define "topology-operator.sidecar" -}}
{{- $s := include "topology-operator.sidecarSettings" . | fromJson -}}
- name: topology-sidecar
  image: {{ $s.image | quote }}
  imagePullPolicy: {{ $s.pullPolicy }}
  args:
    - --peer-port={{ int $s.peerPort }}
    - --app-address={{ $s.appHost }}:{{ int $s.appPort }}
    - --metrics-port={{ int $s.metricsPort }}
    - --log-level={{ $s.logLevel }}
    - --health-port={{ int $s.healthPort }}
    - --token-file=/var/run/topology/credentials/peer-token
    {{- if not $s.shared }}
    - --control-public-key-file=/var/run/topology/credentials/control-public-key
    {{- end }}
  env:
    - name: POD_NAME
      valueFrom:
        fieldRef:
          fieldPath: metadata.name
    - name: POD_NAMESPACE
      valueFrom:
        fieldRef:
          fieldPath: metadata.namespace
    - name: POD_IP
      valueFrom:
        fieldRef:
          fieldPath: status.podIP
  ports:
    - name: topo-peer
      containerPort: {{ int $s.peerPort }}
      protocol: TCP
    - name: topo-metrics
      containerPort: {{ int $s.metricsPort }}
      protocol: TCP
    - name: topo-health
      containerPort: {{ int $s.healthPort }}
      protocol: TCP
  readinessProbe:
    grpc:
      port: {{ int $s.healthPort }}
    periodSeconds: 2
    failureThreshold: 3
  livenessProbe:
    httpGet:
      path: /healthz
      port: topo-metrics
    initialDelaySeconds: 5
    periodSeconds: 10
  resources:
    {{- toYaml $s.resources | nindent 4 }}
  securityContext:
    runAsNonRoot: true
    runAsUser: 65532
    allowPrivilegeEscalation: false
    readOnlyRootFilesystem: true
    capabilities:
      drop: [ALL]
    seccompProfile:
      type: RuntimeDefault
  volumeMounts:
    - name: topology-credentials
      mountPath: /var/run/topology/credentials
      readOnly: true
{{- end }}

{{/*
topology-operator.sidecarVolumes — the volume the sidecar container needs (the credentials
Secret), for the pod template's `volumes:`. Takes the same dict as topology-operator.sidecar.
*/}}
{{- define "topology-operator.sidecarVolumes" -}}
{{- $s := include "topology-operator.sidecarSettings" . | fromJson -}}
- name: topology-credentials
  secret:
    secretName: {{ $s.secret }}
    items:
    {{- if $s.shared }}
      - key: {{ $s.tokenKey }}
        path: peer-token
    {{- else }}
      - key: peer-token
        path: peer-token
      - key: control-public-key
        path: control-public-key
    {{- end }}
{{- end }}

{{/*
Names of the injection webhook's objects: its Service (the serving certificate is for
<service>.<namespace>.svc), the Secret holding its CA and serving certificate, and the
MutatingWebhookConfiguration whose caBundle the operator keeps.
*/}}
{{- define "topology-operator.webhookService" -}}
{{- printf "%s-webhook" (include "topology-operator.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- define "topology-operator.webhookCertSecret" -}}
{{- default (printf "%s-webhook-cert" (include "topology-operator.fullname" .)) .Values.webhook.certSecretName }}
{{- end }}
{{- define "topology-operator.webhookConfiguration" -}}
{{- printf "%s-sidecar-injector" (include "topology-operator.fullname" .) }}
{{- end }}

{{/*
The injected sidecar's defaults for the operator (`--sidecar-defaults`): the same settings the
named template uses, from .Values.sidecar, so injected and templated sidecars are alike. `$(` is
doubled so the kubelet does not expand a `$(POD_IP)` appHost in the operator's own args.
*/}}
{{- define "topology-operator.sidecarDefaultsJson" -}}
{{- $s := include "topology-operator.sidecarSettings" (dict "root" . "topology" "defaults" "appHost" .Values.sidecar.appHost) | fromJson -}}
{{- $_ := unset $s "secret" -}}
{{- $_ := unset $s "shared" -}}
{{- $_ := unset $s "tokenKey" -}}
{{- toJson $s | replace "$(" "$$(" -}}
{{- end }}
