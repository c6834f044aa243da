// Drives the tenxyte CLI for the node suites. The binary comes from TENXYTE_BIN; without
// it every suite fails at import with a message saying so, never skips.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';

function binary() {
  const path = process.env.TENXYTE_BIN;
  if (!path) {
    throw new Error('TENXYTE_BIN is not set: point it at the tenxyte CLI binary ' +
      '(cargo build --release -p tenxyte-cli; TENXYTE_BIN=target/release/tenxyte)');
  }
  try {
    accessSync(path, constants.X_OK);
    if (!statSync(path).isFile()) throw new Error('not a file');
  } catch {
    throw new Error(`TENXYTE_BIN=${JSON.stringify(path)} is not an executable file`);
  }
  return path;
}

export const BIN = binary();

const OPTS = { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 300_000 };

/** Runs one command; returns its standard output without the final newline. */
export function out(args, input) {
  const p = spawnSync(BIN, args.map(String), { ...OPTS, input });
  if (p.error) throw p.error;
  if (p.status !== 0) {
    throw new Error(`tenxyte ${args.join(' ')} exited ${p.status}: ${p.stderr}`);
  }
  return p.stdout.replace(/\n$/, '');
}

/** Runs one command that prints JSON. */
export const json = (args, input) => JSON.parse(out(args, input));

/**
 * Spawns `tenxyte <command> --jsonl` once, sends every request (an object, or a string
 * for a deliberately malformed line) and returns one parsed answer per request.
 */
export function batch(command, requests) {
  const lines = requests.map((r) => (typeof r === 'string' ? r : JSON.stringify(r)));
  const p = spawnSync(BIN, [...command.split(' '), '--jsonl'],
    { ...OPTS, input: lines.map((l) => l + '\n').join('') });
  if (p.error) throw p.error;
  if (p.status !== 0) throw new Error(`batch exited ${p.status}: ${p.stderr}`);
  const answers = p.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
  if (answers.length !== lines.length) {
    throw new Error(`${lines.length} requests but ${answers.length} answers: ${p.stdout}`);
  }
  return answers;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);
