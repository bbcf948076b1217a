#!/usr/bin/env node
// The `model-workbench` command: runs the built CLI (out/main/cli.js); in a development checkout
// without a build, or with MODEL_WORKBENCH_FROM_SOURCE=1, runs the TypeScript sources through tsx.
const path = require('node:path')
const fs = require('node:fs')

const root = path.join(__dirname, '..')
const built = path.join(root, 'out', 'main', 'cli.js')
let cli
if (fs.existsSync(built) && process.env.MODEL_WORKBENCH_FROM_SOURCE !== '1') {
  cli = require(built)
} else {
  require('tsx/cjs')
  cli = require(path.join(root, 'src', 'main', 'cli', 'main.ts'))
}
cli.runFromProcess()
