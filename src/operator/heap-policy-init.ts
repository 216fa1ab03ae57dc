/**
 * Side effect only: applies the operator's V8 heap policy (heap-policy.ts) to this process. It is
 * main.ts's first import, so the flags hold before the large modules are loaded.
 */
import { applyHeapPolicy } from './heap-policy.js';

applyHeapPolicy(process.env);
