/**
 * A job that needs a job the plan does not have is a bug in planning: createPlan refuses it as an
 * internal error, instead of treating the missing job as done (and running the job without it).
 */
import { describe, expect, it } from 'vitest';
import { isMeshbuildError } from '../../../src/errors.js';
import { checkJobNeeds, createPlan } from '../../../src/plan/plan.js';
import { formatError } from '../../../src/cli/print-error.js';
import { loadShippedGraph, planRequest } from './shipped-graph.js';

const graph = loadShippedGraph();
const jobs = (...list: Array<[string, string[]]>) => list.map(([id, needs]) => ({ id, needs }));

describe('checkJobNeeds', () => {
  it('passes jobs whose needs are all in the plan, in any order', () => {
    const given = jobs(['publish', ['image:a', 'image:b']], ['image:a', ['go:amd64']], ['image:b', []], ['go:amd64', []]);
    expect(checkJobNeeds(given)).toBe(given);
  });

  it('refuses a need the plan does not have, naming the job and the missing id', () => {
    const error = (() => {
      try {
        checkJobNeeds(jobs(['image:pilot', ['go:linux_amd64', 'go:linux_s390x']], ['go:linux_amd64', []]));
      } catch (caught) {
        return caught;
      }
      throw new Error('checkJobNeeds accepted a missing need');
    })();
    expect(isMeshbuildError(error), 'a bug, not a user error').toBe(false);
    expect((error as Error).message).toBe('Internal error: planning made job image:pilot need "go:linux_s390x", which the plan does not have');
    // At the top it is printed as a bug in meshbuild, with exit code 1.
    expect(formatError(error)).toMatchObject({ exitCode: 1, text: expect.stringMatching(/^Internal error \(a bug in meshbuild/) });
  });

  it('refuses a need that is not an id at all (a lookup that found nothing)', () => {
    const broken = [{ id: 'image:pilot', needs: [undefined as unknown as string] }];
    expect(() => checkJobNeeds(broken)).toThrow('Internal error: planning made job image:pilot need null, which the plan does not have');
  });
});

describe('createPlan', () => {
  it('plans the shipped graph with every need in the plan', () => {
    const plan = createPlan(graph, planRequest());
    const ids = new Set(plan.jobs.map((j) => j.id));
    expect(plan.jobs.flatMap((j) => j.needs).filter((id) => !ids.has(id))).toEqual([]);
  });
});
