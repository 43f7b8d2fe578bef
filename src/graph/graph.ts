/**
 * The target graph: binaries, artifacts, images and groups with every name resolved, built from
 * a validated config. Pure data; nothing here touches the disk or runs a process.
 */
import type { ArtifactSpec, BinarySpec, Defaults, GroupSpec, ImageSpec, VariantSpec } from '../config/model.js';
import type { LoadedConfig } from '../config/load-config.js';
import { declaredArgs, type Dockerfile } from '../image/dockerfile.js';

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
  for (const spec of imageSpecs) {
    const parsedDockerfile = config.dockerfiles.get(spec.dockerfile);
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
  return { sourceDir, files: config.files, fileTargets, images, groups, variants: config.variants, defaults: config.defaults };
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
