import { describe, expect, it } from 'vitest';
import { parseNextLink } from '../../../src/registry/tags.js';

describe('parseNextLink', () => {
  it('finds the rel="next" target', () => {
    expect(parseNextLink('</v2/mesh/pilot/tags/list?last=b&n=2>; rel="next"')).toBe('/v2/mesh/pilot/tags/list?last=b&n=2');
    expect(parseNextLink('<https://r.example.com/v2/x/tags/list?last=a%2Cb&n=2>;rel=next')).toBe('https://r.example.com/v2/x/tags/list?last=a%2Cb&n=2');
  });

  it('picks next among several links and ignores others', () => {
    expect(parseNextLink('</prev?x=1>; rel="prev", </next?x=2>; rel="next"')).toBe('/next?x=2');
    expect(parseNextLink('</prev>; rel="prev"')).toBeUndefined();
    expect(parseNextLink(undefined)).toBeUndefined();
    expect(parseNextLink('garbage')).toBeUndefined();
  });
});
