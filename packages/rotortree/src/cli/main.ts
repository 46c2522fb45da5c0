#!/usr/bin/env node
/**
 * The `rotortree` executable.
 * @module
 */
import { run } from './run.js';

const code = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });
process.exitCode = code;
