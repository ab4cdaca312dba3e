#!/usr/bin/env node
// The `flotilla` command. The sources are TypeScript; tsx compiles them on
// load, so `npx flotilla` works straight after `npm install` with no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
