/**
 * Suites that need the local cluster this harness builds and starts (support/cluster.ts), and so
 * cannot run when `$KUBECONFIG` names an external cluster: they run images only the local node
 * agent maps, start clusters of their own, or install the operator into the cluster. Such a suite
 * is still declared, and skips itself from its first `before` hook, so the run reports its tests
 * as skipped (pending) with a reason instead of leaving them out without a word:
 *
 *   describe('...', function () {
 *     before(function () {
 *       skipWhenExternalCluster(this, 'the sidecar image is mapped by the local node agent');
 *     });
 *     ...
 *   });
 *
 * Mocha still runs the suite's own `after` hooks after such a skip, so they must do nothing when
 * nothing was set up.
 */

/**
 * Skips the suite whose `before` hook calls it (`ctx` is that hook's `this`) when `$KUBECONFIG` is
 * set, the same test support/cluster.ts uses to attach to an external cluster instead of starting
 * the local one. Prints the suite, `why` it needs the local cluster and the kubeconfig on stderr,
 * since mocha shows no reason for a skipped test.
 */
export function skipWhenExternalCluster(ctx: Mocha.Context, why: string): void {
  const external = process.env.KUBECONFIG;
  if (!external) return;
  const suite = ctx.test?.parent?.fullTitle() ?? 'suite';
  process.stderr.write(
    `[e2e] skipping "${suite}": it needs the local cluster this harness starts (${why}), and KUBECONFIG=${external} names an external cluster\n`,
  );
  ctx.skip();
}
