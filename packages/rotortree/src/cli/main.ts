#!/usr/bin/env node
/**
 * The `rotortree` executable.
 * @module
 */
import { RotorTreeError } from '@rotortree/core';
import { errnoOf } from './errno.js';
import { EXIT, formatReport, reportOf } from './exit-codes.js';
import { run } from './run.js';

// A reader that stops reading (`rotortree root | head -c1`) is not an error: what it did not take
// is dropped and the exit code stays the command's. Any other failed write of the output (a full
// disk under `> file`) is IO, whenever it is reported (a failed write is reported after the command
// may have returned): the output is not what the command printed.
let outputFailed = false;
for (const [name, stream] of [['stdout', process.stdout], ['stderr', process.stderr]] as const) {
  stream.on('error', (err) => {
    if (errnoOf(err) === 'EPIPE' || outputFailed) return;
    outputFailed = true;
    process.exitCode = EXIT.IO;
    if (name === 'stdout') process.stderr.write(`${formatReport(reportOf(new RotorTreeError('IO', 'cannot write stdout', { cause: err })))}\n`);
  });
}

const code = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });
if (!outputFailed) process.exitCode = code;
