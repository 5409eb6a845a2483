#!/usr/bin/env node
// `npm run hub -- <command>`: the operator's CLI from the build (dist/apps/cli/src/main.js). The server code is
// compiled first only when dist is missing or older than a source file, so a newcomer's first command works on a
// fresh checkout and every later one starts at once. `node scripts/hub.js --build-only` just brings dist up to date.
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync, mkdirSync, readdirSync, rmSync, statSync } = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const CLI_MAIN = path.join(ROOT, 'dist', 'apps', 'cli', 'src', 'main.js');
const SOURCE_DIRS = ['apps', 'libs'].map((dir) => path.join(ROOT, dir));
const SKIP_DIRS = new Set([path.join(ROOT, 'apps', 'portal', 'web'), path.join(ROOT, 'node_modules')]);
const SOURCE_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json'].map((file) => path.join(ROOT, file));
// Another build of the same checkout (a second terminal, a test run) waits for this one rather than racing it.
const LOCK = path.join(ROOT, 'dist.build-lock');
const LOCK_STALE_MS = 5 * 60_000;

function mtime(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/** The newest modification time of any server source (TypeScript under apps and libs, the compiler settings). */
function newestSource() {
  let newest = Math.max(...SOURCE_FILES.map(mtime));
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(full)) {
          walk(full);
        }
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) {
        newest = Math.max(newest, mtime(full));
      }
    }
  };
  // An install may carry only dist (no sources): then there is nothing to be newer than it.
  SOURCE_DIRS.filter((dir) => existsSync(dir)).forEach(walk);
  return newest;
}

function isStale() {
  const built = mtime(CLI_MAIN);
  return built === 0 || newestSource() > built;
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function withLock(work) {
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') {
        throw error;
      }
      if (Date.now() - mtime(LOCK) > LOCK_STALE_MS) {
        rmSync(LOCK, { recursive: true, force: true });
      } else {
        sleep(250);
      }
    }
  }
  try {
    work();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** Compiles the server code into dist (types are checked by `npm run check`, not on the way to a command). */
function ensureBuilt() {
  if (!isStale()) {
    return;
  }
  withLock(() => {
    if (!isStale()) {
      return; // built meanwhile by whoever held the lock
    }
    process.stderr.write('hub: compiling the server code (dist is missing or older than the sources)…\n');
    const bin = (name) => path.join(ROOT, 'node_modules', '.bin', name);
    // The compiler's messages go to stderr, so a command's output stays clean for scripts.
    const options = { cwd: ROOT, stdio: ['ignore', 2, 2] };
    execFileSync(bin('tsc'), ['-p', 'tsconfig.build.json', '--noCheck'], options);
    execFileSync(bin('tsc-alias'), ['-p', 'tsconfig.build.json'], options);
  });
}

try {
  ensureBuilt();
} catch (error) {
  process.stderr.write(`hub: the build failed (${error.message}); run npm run build to see why\n`);
  process.exit(1);
}
if (process.argv[2] === '--build-only') {
  process.exit(0);
}
require(CLI_MAIN);
