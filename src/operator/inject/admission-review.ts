/**
 * The AdmissionReview v1 envelope of the injection webhook, sans-IO: the request the API server
 * POSTs in, the response (allowed with a base64 JSONPatch, or refused with a 400-coded message)
 * that goes back. https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#response
 */
import type { V1Pod } from '@kubernetes/client-node';
import { decideInjection, type InjectionDecision, type InjectionScope } from './inject-patch.js';
import type { SidecarDefaults } from './sidecar-spec.js';

/** The fields of an AdmissionReview v1 request the webhook reads. */
export interface AdmissionReviewRequest {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly request?: {
    readonly uid?: string;
    readonly namespace?: string;
    readonly operation?: string;
    readonly kind?: { readonly group?: string; readonly version?: string; readonly kind?: string };
    readonly object?: V1Pod;
  };
}

/** An AdmissionReview v1 response. */
export interface AdmissionReviewResponse {
  readonly apiVersion: 'admission.k8s.io/v1';
  readonly kind: 'AdmissionReview';
  readonly response: {
    readonly uid: string;
    readonly allowed: boolean;
    readonly status?: { readonly code: number; readonly message: string };
    readonly patchType?: 'JSONPatch';
    readonly patch?: string;
    readonly warnings?: readonly string[];
  };
}

/** HTTP-like code of a refused pod (the API server shows it with the message). */
export const DENIED_CODE = 400;

/** What the webhook answers, and the decision (for logs and metrics). */
export interface ReviewOutcome {
  readonly response: AdmissionReviewResponse;
  readonly decision: InjectionDecision;
}

/** Answers one AdmissionReview; `undefined` when the body is not an AdmissionReview v1 with a request uid. */
export function reviewPod(body: unknown, scope: InjectionScope, defaults: SidecarDefaults): ReviewOutcome | undefined {
  const review = body as AdmissionReviewRequest;
  if (typeof review !== 'object' || review === null || review.apiVersion !== 'admission.k8s.io/v1' || review.kind !== 'AdmissionReview') return undefined;
  const uid = review.request?.uid;
  if (typeof uid !== 'string' || uid === '') return undefined;
  const base = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' } as const;
  const pod = review.request?.object;
  let decision: InjectionDecision;
  if (review.request?.kind?.kind !== 'Pod' || review.request.operation !== 'CREATE' || pod === undefined)
    decision = { kind: 'skip', reason: 'not the creation of a pod' };
  else decision = decideInjection(pod, scope, defaults);
  switch (decision.kind) {
    case 'skip':
      return { decision, response: { ...base, response: { uid, allowed: true } } };
    case 'deny':
      return {
        decision,
        response: { ...base, response: { uid, allowed: false, status: { code: DENIED_CODE, message: `topology sidecar injection: ${decision.message}` } } },
      };
    case 'patch':
      return {
        decision,
        response: { ...base, response: { uid, allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(decision.patch)).toString('base64') } },
      };
  }
}
