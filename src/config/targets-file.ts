/**
 * The schema of one targets file: which sections and keys exist and what each holds.
 * Reads a parsed YAML document into typed specs, collecting a diagnostic for every problem.
 */
import path from 'node:path';
import type { Diagnostic } from '../errors.js';
import { parsePlatform, type Platform } from '../platform.js';
import { LDFLAGS_PLACEHOLDERS, unknownLdflagsPlaceholders } from '../go/ldflags.js';
import { readArtifactTemplate } from './artifact-fields.js';
import { readContextFiles, readDockerfile, readImageArgs } from './image-fields.js';
import { standsForProblems } from '../image/stands-for.js';
import { FieldReader } from './field-reader.js';
import type { ArtifactSpec, BinarySpec, GroupSpec, ImageSpec, Located, VariantSpec } from './model.js';
import { fileNameProblem, lexicalPathProblem, type PathRoots } from './path-policy.js';
import type { YamlDocument, YamlPath } from './yaml-document.js';

const SECTIONS = ['defaults', 'binaries', 'artifacts', 'images', 'groups', 'variants'] as const;
const DEFAULTS_KEYS = ['platforms', 'variants', 'goLdflags'] as const;
const BINARY_KEYS = ['package', 'tags', 'cgo', 'ldflags', 'extraPlatforms'] as const;
const ARTIFACT_KEYS = ['url', 'sha256', 'sha256Url', 'extract', 'path', 'fileName'] as const;
const IMAGE_KEYS = ['dockerfile', 'binaries', 'artifacts', 'files', 'args', 'base', 'bases', 'standsFor', 'versionArgs'] as const;
const VARIANT_KEYS = ['args', 'tagSuffix'] as const;
const NAME_PATTERN = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

export interface TargetsFileContent {
  file: string;
  specs: Array<BinarySpec | ArtifactSpec | ImageSpec | GroupSpec>;
  variants: VariantSpec[];
  defaults: { platforms?: Platform[]; variants?: string[]; goLdflags?: string[] };
  diagnostics: Diagnostic[];
}

/** Where this file's paths may lead: `own` for its own paths, `source` for `source:` and `package:`. */
export interface TargetsFileRoots {
  own: PathRoots;
  source: PathRoots;
}

/**
 * Reads one parsed targets file. `layer` says whether it is the graph or the source overlay; `file`
 * is its absolute path (doc.file is how messages name it), and its relative paths resolve from there.
 */
export function readTargetsFile(doc: YamlDocument, layer: Located['layer'], file: string, roots: TargetsFileRoots): TargetsFileContent {
  const reader = new FieldReader(doc);
  const baseDir = path.dirname(file);
  const sourceDir = roots.source.dirs[0]!;
  /** Reports a path outside its root at its value; true when it may be used. */
  const confined = (value: string, at: YamlPath, what: string, from: string, within: PathRoots): boolean => {
    const problem = lexicalPathProblem(value, from, within);
    if (problem !== undefined) reader.report(at, `${what} "${value}" ${problem}`);
    return problem === undefined;
  };
  const content: TargetsFileContent = { file: doc.file, specs: [], variants: [], defaults: {}, diagnostics: reader.diagnostics };
  const root = reader.mapping(doc.value, [], 'a targets file', SECTIONS);
  if (!root) return content;

  const located = (p: YamlPath): Located => ({ location: reader.at(p, 'key'), baseDir, layer });
  const eachEntry = (section: string, what: string, read: (name: string, record: Record<string, unknown>, p: YamlPath) => void) => {
    const entries = reader.mapping(root[section], [section], `"${section}"`);
    for (const [name, value] of Object.entries(entries ?? {})) {
      const p = [section, name];
      if (!NAME_PATTERN.test(name)) {
        reader.report(p, `${what} name "${name}" must be lowercase letters, digits and . _ - (like pilot-discovery)`, 'key');
        continue;
      }
      const record = reader.mapping(value, p, `${what} "${name}"`, keysFor(section));
      if (record) read(name, record, p);
    }
  };

  const defaults = reader.mapping(root.defaults, ['defaults'], '"defaults"', DEFAULTS_KEYS);
  if (defaults) {
    if (defaults.platforms !== undefined) content.defaults.platforms = readPlatforms(reader, defaults, ['defaults'], '"defaults"', 'platforms');
    if (defaults.variants !== undefined) content.defaults.variants = reader.stringList(defaults, 'variants', ['defaults'], '"defaults"').map((v) => v.value);
    if (defaults.goLdflags !== undefined) content.defaults.goLdflags = readLdflags(reader, defaults, 'goLdflags', ['defaults'], '"defaults"');
  }

  eachEntry('binaries', 'binary', (name, record, p) => {
    const what = `binary "${name}"`;
    const pkg = reader.string(record, 'package', p, what, true);
    if (pkg === undefined) return;
    if (!pkg.startsWith('./'))
      reader.report([...p, 'package'], `package of ${what} must be a path inside the source tree starting with ./ (like ./pilot/cmd/pilot-discovery)`);
    else confined(pkg, [...p, 'package'], `package of ${what}`, sourceDir, roots.source);
    content.specs.push({
      kind: 'binary',
      name,
      ...located(p),
      package: pkg,
      packageLocation: reader.at([...p, 'package']),
      tags: reader.stringList(record, 'tags', p, what).map((t) => t.value),
      cgo: reader.boolean(record, 'cgo', p, what, false),
      ldflags: readLdflags(reader, record, 'ldflags', p, what),
      extraPlatforms: readPlatforms(reader, record, p, what, 'extraPlatforms'),
    });
  });

  eachEntry('artifacts', 'artifact', (name, record, p) => {
    const what = `artifact "${name}"`;
    const url = readArtifactTemplate(reader, record, 'url', p, what);
    const localPath = reader.string(record, 'path', p, what);
    if (record.url === undefined && localPath === undefined) reader.report(p, `${what} needs a "url" (with "sha256") or a local "path"`, 'key');
    const sha256 = new Map<string, string>();
    const sums = reader.mapping(record.sha256, [...p, 'sha256'], `"sha256" of ${what}`);
    for (const [platformText, sum] of Object.entries(sums ?? {})) {
      const parsed = parsePlatform(platformText);
      if (!parsed.ok) reader.report([...p, 'sha256', platformText], `"${platformText}" in sha256 of ${what} is not a platform: ${parsed.reason}`, 'key');
      else if (typeof sum !== 'string' || !/^[0-9a-f]{64}$/.test(sum))
        reader.report([...p, 'sha256', platformText], `sha256 of ${what} for ${platformText} must be 64 lowercase hex digits`);
      else sha256.set(`${parsed.platform.os}/${parsed.platform.architecture}${parsed.platform.variant ? `/${parsed.platform.variant}` : ''}`, sum);
    }
    const sha256Url = readArtifactTemplate(reader, record, 'sha256Url', p, what);
    // `sha256: {}` says on purpose that nothing is published to check against: each platform must
    // then be pinned, or given locally (--artifact), before it is planned.
    if (url !== undefined && localPath === undefined && sha256.size === 0 && record.sha256 === undefined && record.sha256Url === undefined) {
      reader.report(p, `${what} downloads from a url, so it needs "sha256" per platform (or a "sha256Url")`, 'key');
    }
    const fileName = reader.string(record, 'fileName', p, what) ?? name;
    const fileNameIssue = fileNameProblem(fileName);
    if (fileNameIssue !== undefined) reader.report([...p, 'fileName'], `fileName "${fileName}" of ${what} ${fileNameIssue}`);
    const spec: ArtifactSpec = { kind: 'artifact', name, ...located(p), sha256, fileName };
    if (url !== undefined) spec.url = url;
    if (sha256Url !== undefined) spec.sha256Url = sha256Url;
    const extract = reader.string(record, 'extract', p, what);
    if (extract !== undefined) spec.extract = extract;
    if (localPath !== undefined && confined(localPath, [...p, 'path'], `path of ${what}`, baseDir, roots.own)) {
      spec.path = localPath;
      spec.pathLocation = reader.at([...p, 'path']);
    }
    content.specs.push(spec);
  });

  eachEntry('images', 'image', (name, record, p) => {
    const what = `image "${name}"`;
    const dockerfile = readDockerfile(reader, record, p, what, baseDir, confined, roots);
    if (dockerfile === undefined) return;
    const names = (key: string) => reader.stringList(record, key, p, what).map((n) => ({ name: n.value, location: n.location }));
    const standsFor = reader.string(record, 'standsFor', p, what);
    const standsForProblem = standsFor !== undefined ? standsForProblems(standsFor) : [];
    if (standsForProblem.length > 0)
      reader.report([...p, 'standsFor'], `standsFor of ${what} may hold only {arg:NAME} placeholders (found ${standsForProblem.join(', ')})`);
    content.specs.push({
      kind: 'image',
      name,
      ...located(p),
      ...dockerfile,
      binaries: names('binaries'),
      artifacts: names('artifacts'),
      files: readContextFiles(reader, record, p, what, baseDir, confined, roots),
      args: readImageArgs(reader, record, p, what),
      bases: [...names('base'), ...names('bases')],
      ...(standsFor !== undefined && standsForProblem.length === 0 ? { standsFor } : {}),
      ...(record.versionArgs !== undefined ? { versionArgs: reader.stringList(record, 'versionArgs', p, what).map((arg) => arg.value) } : {}),
    });
  });

  const groups = reader.mapping(root.groups, ['groups'], '"groups"');
  for (const [name, members] of Object.entries(groups ?? {})) {
    if (!NAME_PATTERN.test(name)) {
      reader.report(['groups', name], `group name "${name}" must be lowercase letters, digits and . _ - (like all)`, 'key');
      continue;
    }
    content.specs.push({
      kind: 'group',
      name,
      ...located(['groups', name]),
      members: reader.stringList({ [name]: members }, name, ['groups'], `group "${name}"`).map((m) => ({ name: m.value, location: m.location })),
    });
  }

  eachEntry('variants', 'variant', (name, record, p) => {
    const what = `variant "${name}"`;
    content.variants.push({
      name,
      ...located(p),
      args: reader.stringMap(record, 'args', p, what),
      tagSuffix: reader.string(record, 'tagSuffix', p, what) ?? (name === 'default' ? '' : `-${name}`),
    });
  });
  return content;
}

function keysFor(section: string): readonly string[] | undefined {
  switch (section) {
    case 'binaries':
      return BINARY_KEYS;
    case 'artifacts':
      return ARTIFACT_KEYS;
    case 'images':
      return IMAGE_KEYS;
    case 'variants':
      return VARIANT_KEYS;
    default:
      return undefined;
  }
}

function readPlatforms(reader: FieldReader, record: Record<string, unknown>, p: YamlPath, what: string, key: string): Platform[] {
  const platforms: Platform[] = [];
  reader.stringList(record, key, p, what).forEach((entry, index) => {
    const parsed = parsePlatform(entry.value);
    if (parsed.ok) platforms.push(parsed.platform);
    else reader.report([...p, key, index], `"${entry.value}" in ${key} of ${what} is not a platform: ${parsed.reason}`);
  });
  return platforms;
}

/** `-ldflags` items, each `{...}` in them a known placeholder (reported at its item otherwise). */
function readLdflags(reader: FieldReader, record: Record<string, unknown>, key: string, p: YamlPath, what: string): string[] {
  return reader.stringList(record, key, p, what).map((item) => {
    for (const unknown of unknownLdflagsPlaceholders(item.value)) {
      reader.diagnostics.push({
        message: `unknown placeholder ${unknown.name} in ${key} of ${what} (known: ${LDFLAGS_PLACEHOLDERS.map((name) => `{${name}}`).join(', ')})`,
        location: item.location,
      });
    }
    return item.value;
  });
}
