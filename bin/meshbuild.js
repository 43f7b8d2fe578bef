#!/usr/bin/env node
import { main } from '../dist/bundle/main.js';
import { installInterruptFallback } from '../dist/bundle/interrupt.js';

// Ctrl-C outside a running step (flag parsing, tool checks) still ends in exit 130 and one line.
installInterruptFallback();
process.exitCode = await main(process.argv.slice(2));
