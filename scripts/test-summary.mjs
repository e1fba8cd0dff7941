// Prints the test counts of the last vitest run as one plain line: "N passed, N failed".
// A run that stopped before vitest (lint, typecheck, install) counts as one failure.
import { existsSync, readFileSync } from 'node:fs';

const [file = 'test-results/vitest.json', exitStatus = '0'] = process.argv.slice(2);
let passed = 0;
let failed = 0;
if (existsSync(file)) {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed = report.numPassedTests ?? 0;
  failed = (report.numFailedTests ?? 0) + (report.numTodoTests ?? 0) + (report.numPendingTests ?? 0);
  // Files that failed to load report no tests but are failures all the same.
  failed += (report.testResults ?? []).filter(
    (suite) => suite.status === 'failed' && suite.assertionResults?.length === 0,
  ).length;
}
if (failed === 0 && exitStatus !== '0') failed = 1;
console.log(`${passed} passed, ${failed} failed`);
