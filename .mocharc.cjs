// Mocha runs the compiled tests (npm test builds first). Suites: unit, integration, e2e.
// The reporter prints the spec output and a closing "N passed, N failed, N skipped" line for CI.
module.exports = {
  spec: ['dist/test/unit/**/*.test.js', 'dist/test/integration/**/*.test.js', 'dist/test/e2e/**/*.test.js'],
  reporter: './test/support/reporter.cjs',
  timeout: 60000,
  slow: 5000,
  exit: true,
};
