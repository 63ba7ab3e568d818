#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { runCli } from '../cli/run.js';

// `webhooks`: everyday operations against a running gateway's API. See `webhooks --help`.
process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: (output) => process.stdout.write(output),
  stderr: (output) => process.stderr.write(output),
  readText: (path) => (path === '-' ? text(process.stdin) : readFile(path, 'utf8')),
});
