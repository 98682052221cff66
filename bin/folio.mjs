#!/usr/bin/env node
// Entry point of the `folio` command: loads the TypeScript sources through tsx.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
const { runCli } = await import('../src/cli.ts');
process.exitCode = await runCli(process.argv.slice(2));
