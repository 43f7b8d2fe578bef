/** Temp folders for the release unit tests, removed after each test file. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { useTempDirs as sharedTempDirs } from '../../support/temp-dirs.js';

export const useTempDirs = (prefix = 'meshbuild-release-unit-') => sharedTempDirs(prefix);
