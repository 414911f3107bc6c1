// Jest's default reporter, quiet when things pass: a test file that passes shows its one PASS line,
// not what it printed (framework logs, judge retry warnings, dumps); a failing file shows everything
// it printed, next to the failure. TEST_VERBOSE=1 shows the output of passing files too.
const { DefaultReporter } = require('@jest/reporters');

class QuietReporter extends DefaultReporter {
  printTestFileHeader(testPath, config, result) {
    const failed = result.numFailingTests > 0 || Boolean(result.testExecError) || result.failureMessage;
    if (failed || process.env.TEST_VERBOSE === '1') return super.printTestFileHeader(testPath, config, result);
    return super.printTestFileHeader(testPath, config, {
      ...result,
      console: undefined,
      testResults: result.testResults.map((r) => ({ ...r, retryReasons: [] })),
    });
  }
}

module.exports = QuietReporter;
