#!/usr/bin/env node
// The published entry: Node >= 22.18 runs the TypeScript sources directly (type stripping),
// so there is no build step and no drift between what runs and what is tested.
import '../src/cli.ts';
