/**
 * Node.js flags the sidecar runs with, wherever it runs: the image's ENTRYPOINT
 * (deploy/docker/sidecar.Dockerfile), the local node agent's `topology-sidecar` image and the
 * loopback fleet's single-sidecar processes. A unit test keeps the three in step.
 *
 * `--max-semi-space-size=1`: V8's young generation otherwise grows to 16 MiB semi-spaces (up to
 * 48 MiB of heap) in a process whose live heap is ~10 MiB; capped, a standalone sidecar's private
 * memory drops from ~27 to ~22 MiB at the price of more, cheaper scavenges (it allocates little).
 */
export const SIDECAR_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];
