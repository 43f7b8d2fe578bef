/** Temp folders for the release unit tests, removed after each test file. */
import { useTempDirs as sharedTempDirs } from '../../support/temp-dirs.js';

export const useTempDirs = (prefix = 'meshbuild-release-unit-') => sharedTempDirs(prefix);
