/**
 * What the image a Dockerfile builds stands on: the image its last stage starts from (through
 * `FROM <stage>` chains), and the labels that stage chain sets itself. Pure; the planner uses it
 * for `org.opencontainers.image.base.name` and to know which inherited labels to replace.
 */
import { expandVariables, splitWords, type Dockerfile } from './dockerfile.js';
import { platformArgs } from './native/build-steps.js';
import type { Platform } from '../platform.js';
import { fromLineArgs } from './stands-for.js';

export interface FinalStage {
  /** The image reference (as FROM names it, args expanded) under the last stage; undefined for scratch. */
  base?: string;
  /** Label keys the last stage and the stages it starts from set with LABEL. */
  labelKeys: Set<string>;
}

export function finalStageOf(dockerfile: Dockerfile, buildArgs: Readonly<Record<string, string>>, platform: Platform): FinalStage {
  const args = new Map([...platformArgs(platform, platform), ...fromLineArgs(dockerfile, buildArgs)]);
  const stages: Array<{ name?: string; from: string; parent?: number; labelKeys: string[] }> = [];
  for (const instruction of dockerfile.instructions) {
    if (instruction.keyword === 'FROM') {
      const words = splitWords(expandVariables(instruction.text, args));
      const from = words[0] ?? '';
      const name = words[1]?.toLowerCase() === 'as' ? words[2]?.toLowerCase() : undefined;
      const parent = stages.findIndex((s) => s.name === from.toLowerCase());
      stages.push({ from, labelKeys: [], ...(name ? { name } : {}), ...(parent >= 0 ? { parent } : {}) });
    } else if (instruction.keyword === 'LABEL') {
      stages.at(-1)?.labelKeys.push(...labelKeysOf(instruction.text));
    }
  }
  const labelKeys = new Set<string>();
  let stage = stages.at(-1);
  while (stage) {
    for (const key of stage.labelKeys) labelKeys.add(key);
    if (stage.parent === undefined) return { labelKeys, ...(stage.from !== 'scratch' && stage.from !== '' ? { base: stage.from } : {}) };
    stage = stages[stage.parent];
  }
  return { labelKeys };
}

/** Keys of `LABEL k=v k2="v 2"`, and of the old `LABEL key value` form. */
function labelKeysOf(text: string): string[] {
  const words = splitWords(text);
  if (words.length > 0 && !words[0]!.includes('=')) return [words[0]!];
  return words.map((word) => word.split('=')[0]!).filter((key) => key !== '');
}
