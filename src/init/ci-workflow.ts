/**
The GitHub Actions workflow `meshproof init` writes (docs/ci.md explains it and has the GitLab CI
equivalent): every scenario in `scenariosDir` on each push and pull request, the verdicts on the
run's summary page, JUnit results as a check, the report folders as an artifact; the job fails
when meshproof exits non-zero (1: an expectation failed; 2: a scenario is invalid or could not run).
*/
export function ciWorkflow(scenariosDir: string): string {
  return `# meshproof: prove the mesh's resilience on every push and pull request.
# meshproof run exits 0 when every expectation of every scenario held, 1 when one failed, 2 when a
# scenario is invalid or could not run; either failure fails the job. The verdicts appear on the
# run's summary page (meshproof writes them to $GITHUB_STEP_SUMMARY), each expectation as a JUnit
# test, and every report folder (report.html, junit.xml, summary.md, result.json) as an artifact.
# More recipes, GitLab CI too: node_modules/meshproof/docs/ci.md
name: meshproof

on:
  push:
  pull_request:

permissions:
  contents: read
  checks: write # the JUnit check run

jobs:
  meshproof:
    runs-on: ubuntu-latest
    timeout-minutes: 20
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 24 # meshproof needs Node >= 22.19
          cache: npm
      - run: npm ci
      # Every scenario in the folder, one after the other; the job fails on exit 1 or 2.
      - run: npx meshproof run ${scenariosDir}/
      - name: Report folders
        if: \${{ !cancelled() }}
        uses: actions/upload-artifact@v4
        with:
          name: meshproof-reports
          path: reports/
          if-no-files-found: ignore
      - name: JUnit results
        if: \${{ !cancelled() }}
        uses: mikepenz/action-junit-report@v5
        with:
          report_paths: reports/*/junit.xml
          check_name: meshproof
`;
}
