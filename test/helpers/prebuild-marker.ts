/**
The variable naming, to the test files, a file that exists while this test run's Docker runtime image
build is in progress (prebuild-runtime-image.ts writes it, wait-for-prebuild.ts waits for it to go).
*/
export const PREBUILD_MARKER_ENV = 'MESHPROOF_TEST_PREBUILD_MARKER';
