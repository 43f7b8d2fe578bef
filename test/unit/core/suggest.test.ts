import { describe, expect, it } from 'vitest';
import { closestNames, editDistance } from '../../../src/graph/suggest.js';

describe('editDistance', () => {
  it.each([
    ['pilot', 'pilot', 0],
    ['pilto', 'pilot', 1],
    ['pilo', 'pilot', 1],
    ['proxyv3', 'proxyv2', 1],
    ['', 'abc', 3],
    ['kitten', 'sitting', 3],
  ])('%s -> %s: %i', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });
});

describe('closestNames', () => {
  const known = ['pilot', 'pilot-agent', 'pilot-discovery', 'proxyv2', 'istioctl', 'ztunnel', 'all'];

  it('puts the fewest edits first, then names that contain the one typed', () => {
    expect(closestNames('pilto', known)).toEqual(['pilot']);
    expect(closestNames('pilot-agnet', known)).toEqual(['pilot-agent', 'pilot']);
    expect(closestNames('pilo', known)).toEqual(['pilot', 'pilot-agent', 'pilot-discovery']);
    expect(closestNames('istio', known)).toEqual(['istioctl']);
  });

  it('suggests nothing for a name like none of them, and never the name itself', () => {
    expect(closestNames('nothing-like-it', known)).toEqual([]);
    expect(closestNames('pilot', ['pilot'])).toEqual([]);
  });
});
