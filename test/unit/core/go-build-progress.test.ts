/** `go build -v` output as progress: packages counted as go names them, and left out of error messages. */
import { describe, expect, it } from 'vitest';
import { countPackages, withoutPackageLines } from '../../../src/go/go-build.js';
import type { ProgressCount } from '../../../src/run/events.js';

describe('go build -v progress', () => {
  it('counts package lines as they come, across chunks that split a line, and passes the output on', () => {
    const counts: Array<ProgressCount | undefined> = [];
    const output: string[] = [];
    const feed = countPackages({ progress: (_message, count) => counts.push(count), output: (_stream, text) => output.push(text) });
    feed('internal/goarch\nruntime\nexample.com/mesh/pi');
    feed('lot/cmd\n# example.com/mesh/pkg\npkg/x.go:3:1: syntax error\n');
    expect(counts).toEqual([
      { unit: 'packages', done: 2 },
      { unit: 'packages', done: 3 },
    ]);
    expect(output.join('')).toBe('internal/goarch\nruntime\nexample.com/mesh/pilot/cmd\n# example.com/mesh/pkg\npkg/x.go:3:1: syntax error\n');
  });

  it('keeps compiler messages and drops package names for the error detail', () => {
    expect(withoutPackageLines('runtime\n# example.com/mesh/pkg\npkg/x.go:3:1: syntax error\nexample.com/mesh/cmd\n')).toBe(
      '# example.com/mesh/pkg\npkg/x.go:3:1: syntax error\n',
    );
  });
});
