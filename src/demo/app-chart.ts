/**
 * A minimal Helm chart for a member workload, written to a directory at run time: a StatefulSet
 * whose pod template gets the sidecar through the operator chart's named templates
 * `topology-operator.sidecar` / `topology-operator.sidecarVolumes`, exactly as a user's chart
 * would. The chart vendors the operator chart's `_helpers.tpl` (one of the two documented ways to
 * use the template; the other is a chart dependency), so it always renders the current template.
 *
 * Used by `npm run demo` and by the Helm e2e test.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';

/** Directory of the operator chart in the repository. */
export function operatorChartDir(): string {
  return join(packageRoot(), 'helm', 'topology-operator');
}

/** Values of the member-app chart (`helm install --set` or a values file). */
export interface AppChartValues {
  /** StatefulSet name and `app` label (the ClusterTopology selects `app: <name>`). */
  name: string;
  replicas: number;
  /** App container image; empty: the pod runs only the sidecar. */
  appImage: string;
  /** Sidecar named-template settings (see docs/helm.md). */
  sidecar: { topology: string; appHost: string; image?: string };
}

const CHART_YAML = `apiVersion: v2
name: overlay-member-app
description: A workload whose pods join a ClusterTopology overlay through the topology sidecar.
type: application
version: 0.1.0
appVersion: "0.1.0"
`;

const STATEFULSET = `{{- $sidecar := dict "topology" .Values.sidecar.topology "appHost" .Values.sidecar.appHost }}
{{- if .Values.sidecar.image }}{{- $_ := set $sidecar "image" .Values.sidecar.image }}{{- end }}
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {{ .Values.name }}
  labels:
    app: {{ .Values.name }}
    app.kubernetes.io/name: {{ .Values.name }}
    app.kubernetes.io/instance: {{ .Release.Name }}
    app.kubernetes.io/managed-by: {{ .Release.Service }}
spec:
  replicas: {{ .Values.replicas }}
  serviceName: {{ .Values.name }}
  podManagementPolicy: Parallel
  selector:
    matchLabels:
      app: {{ .Values.name }}
  template:
    metadata:
      labels:
        app: {{ .Values.name }}
    spec:
      terminationGracePeriodSeconds: 5
      securityContext:
        runAsNonRoot: true
        runAsUser: 65532
        seccompProfile:
          type: RuntimeDefault
      containers:
        {{- if .Values.appImage }}
        - name: app
          image: {{ .Values.appImage | quote }}
          env:
            - name: POD_NAME
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
            - name: POD_IP
              valueFrom:
                fieldRef:
                  fieldPath: status.podIP
            - name: TOPOLOGY_APP_ADDRESS
              value: {{ printf "%s:7947" .Values.sidecar.appHost | quote }}
            - name: STATS_ADDRESS
              value: "$(POD_IP):8090"
          ports:
            - name: stats
              containerPort: 8090
          readinessProbe:
            httpGet:
              path: /stats
              port: stats
            periodSeconds: 2
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [ALL]
        {{- end }}
        {{- include "topology-operator.sidecar" $sidecar | nindent 8 }}
      volumes:
        {{- include "topology-operator.sidecarVolumes" $sidecar | nindent 8 }}
`;

/** Writes the chart into `dir` (created) and returns `dir`. */
export function writeAppChart(dir: string): string {
  mkdirSync(join(dir, 'templates'), { recursive: true });
  writeFileSync(join(dir, 'Chart.yaml'), CHART_YAML);
  const defaults: AppChartValues = {
    name: 'overlay-app',
    replicas: 3,
    appImage: '',
    sidecar: { topology: 'overlay-app', appHost: '127.0.0.1' },
  };
  writeFileSync(join(dir, 'values.yaml'), `${JSON.stringify(defaults, null, 2)}\n`);
  writeFileSync(join(dir, 'templates', 'statefulset.yaml'), STATEFULSET);
  // Vendored named templates of the operator chart (only `define`s: renders nothing by itself).
  copyFileSync(join(operatorChartDir(), 'templates', '_helpers.tpl'), join(dir, 'templates', '_topology-operator.tpl'));
  return dir;
}

/** A ClusterTopology named `name` with `spec`, as JSON for `kubectl apply -f -` (the demo and the docs generator). */
export function clusterTopologyJson(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({ apiVersion: 'topology.foundation.dev/v1alpha1', kind: 'ClusterTopology', metadata: { name }, spec });
}
