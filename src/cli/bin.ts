#!/usr/bin/env node
// The `oauthkit` command (the package's `bin`): `oauthkit --help` lists the commands; docs/cli.md.
import { main } from './main.js'

async function stdin(): Promise<string> {
  let text = ''
  for await (const chunk of process.stdin) text += String(chunk)
  return text
}

process.exitCode = await main(process.argv.slice(2), {
  out: process.stdout,
  err: process.stderr,
  env: process.env,
  stdin,
  interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
})
