/**
 * What every image builder hands on, whichever builder made it: an OCI index in a layout folder
 * on disk, and the manifest of each platform. Sinks (registry, OCI layout, tar) take it from there.
 */
import type { Descriptor } from '../oci/types.js';

export interface BuiltPlatformImage {
  /** `linux/arm64` */
  platform: string;
  descriptor: Descriptor;
  /** Compressed bytes of its layers (absent for images loaded into the engine). */
  compressedSize?: number;
}

export interface BuiltImage {
  image: string;
  jobId: string;
  /** OCI layout holding the index and every blob it needs; empty for images loaded into the engine. */
  layoutDir: string;
  /** The image index (manifest list). */
  index: Descriptor;
  platforms: BuiltPlatformImage[];
  /** How images built on this one name it in a buildx named context (`oci-layout://DIR@sha256:...`). */
  namedContext: string;
  /** Registry bases the build read (`FROM <reference>`), and the index digest each named then. */
  externalBases?: Record<string, string>;
  /** Where the index already lives by digest (registry repositories it was pushed to). */
  storedIn: string[];
}
