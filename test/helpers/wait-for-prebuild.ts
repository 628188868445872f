import { existsSync } from 'node:fs';
import { PREBUILD_MARKER_ENV } from './prebuild-marker.ts';

/**
A setup file of the system tests: a file does not start while this run is still building the Docker
runtime image (prebuild-runtime-image.ts), whose CPU and disk would disturb a timed test. In a run of
the whole suite the build is long done by then (it overlaps the computing and untimed tests); in a
run of system files only, the first one waits for it. Its deadline is the build lock's own.
*/
const marker = process.env[PREBUILD_MARKER_ENV];
const deadline = Date.now() + 10 * 60_000;
while (marker && existsSync(marker)) {
  if (Date.now() > deadline) throw new Error(`the runtime image build of this test run (${marker}) has not finished within 10 minutes`);
  await new Promise((r) => setTimeout(r, 250));
}
