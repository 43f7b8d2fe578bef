/**
 * The target graph: binaries, artifacts, images and groups with every name resolved, built from
 * a validated config. Pure data; nothing here touches the disk or runs a process.
 */
import path from 'node:path';
import type { ArtifactSpec, BinarySpec, Defaults, GroupSpec, ImageSpec, VariantSpec } from '../config/model.js';
import type { LoadedConfig } from '../config/load-config.js';
import { declaredArgs, type Dockerfile } from '../image/dockerfile.js';
import { dockerfileNamesStandIn } from '../image/stands-for.js';
import { usageError, type MeshbuildError } from '../errors.js';

/** A binary or artifact: something that becomes `out/<os>_<arch>/<name>`. */
export type FileTarget = BinarySpec | ArtifactSpec;

export interface ImageNode extends ImageSpec {
  parsedDockerfile: Dockerfile;
  /** ARG names the Dockerfile declares: only these build args can change its output. */
  declaredArgs: Set<string>;
  /** Binaries and artifacts staged into the context, resolved (an overlay may turn one into the other). */
  inputs: FileTarget[];
}

export interface Graph {
  sourceDir: string;
  files: string[];
  fileTargets: Map<string, FileTarget>;
  images: Map<string, ImageNode>;
  groups: Map<string, GroupSpec>;
  variants: Map<string, VariantSpec>;
  defaults: Defaults;
  /** Images whose Dockerfile the source tree lacks: an error only when one is asked for. */
  unavailable: Map<string, MeshbuildError>;
}

export function buildGraph(config: LoadedConfig, sourceDir: string): Graph {
  const fileTargets = new Map<string, FileTarget>();
  const groups = new Map<string, GroupSpec>();
  const imageSpecs: ImageSpec[] = [];
  for (const spec of config.targets.values()) {
    if (spec.kind === 'binary' || spec.kind === 'artifact') fileTargets.set(spec.name, spec);
    else if (spec.kind === 'group') groups.set(spec.name, spec);
    else imageSpecs.push(spec);
  }
  const images = new Map<string, ImageNode>();
  const unavailable = new Map<string, MeshbuildError>();
  for (const spec of imageSpecs) {
    const parsedDockerfile = config.dockerfiles.get(spec.dockerfile);
    if (!parsedDockerfile && spec.dockerfileRoot === 'source') {
      unavailable.set(spec.name, missingDockerfile(spec, sourceDir));
      continue;
    }
    if (!parsedDockerfile) throw new Error(`Internal error: Dockerfile of image ${spec.name} was not loaded`);
    images.set(spec.name, {
      ...spec,
      parsedDockerfile,
      declaredArgs: declaredArgs(parsedDockerfile),
      inputs: [...spec.binaries, ...spec.artifacts].map((ref) => {
        const target = fileTargets.get(ref.name);
        if (!target) throw new Error(`Internal error: unresolved input ${ref.name} of image ${spec.name}`);
        return target;
      }),
    });
  }
  addStandInBases(images);
  return { sourceDir, files: config.files, fileTargets, images, groups, variants: config.variants, defaults: config.defaults, unavailable };
}

function missingDockerfile(spec: ImageSpec, sourceDir: string): MeshbuildError {
  return usageError(`image "${spec.name}": its Dockerfile ${path.relative(sourceDir, spec.dockerfile)} is not in the source tree (${sourceDir})`, {
    location: spec.dockerfileLocation ?? spec.location,
    hint: 'point --source at an Istio checkout that has it, or build other images',
  });
}

/**
 * An image whose Dockerfile names the reference another image stands for (`standsFor`) is built
 * on it, as if it listed it under `bases`: one run builds the base and then the images on it.
 */
function addStandInBases(images: Map<string, ImageNode>): void {
  const standIns = [...images.values()].filter((image) => image.standsFor !== undefined);
  for (const image of images.values()) {
    for (const standIn of standIns) {
      if (standIn === image || image.bases.some((b) => b.name === standIn.name)) continue;
      if (!dockerfileNamesStandIn(image.parsedDockerfile, standIn.standsFor!)) continue;
      if (dependsOn(images, standIn, image.name)) {
        throw usageError(`image "${standIn.name}" stands for ${standIn.standsFor}, which its own base "${image.name}" is built from`, {
          location: standIn.location,
          hint: 'a base cannot stand for an image it is built on: remove one of the two',
        });
      }
      image.bases = [...image.bases, { name: standIn.name, location: standIn.location }];
    }
  }
}

function dependsOn(images: Map<string, ImageNode>, image: ImageNode, name: string, seen = new Set<string>()): boolean {
  for (const base of image.bases) {
    if (base.name === name) return true;
    const node = images.get(base.name);
    if (node && !seen.has(base.name)) {
      seen.add(base.name);
      if (dependsOn(images, node, name, seen)) return true;
    }
  }
  return false;
}

/** Images an image is built on, transitively, bases first. */
export function baseImagesOf(graph: Graph, image: ImageNode): ImageNode[] {
  const order: ImageNode[] = [];
  const visit = (node: ImageNode) => {
    for (const base of node.bases) {
      const baseNode = graph.images.get(base.name);
      if (baseNode && !order.includes(baseNode)) {
        visit(baseNode);
        order.push(baseNode);
      }
    }
  };
  visit(image);
  return order;
}
