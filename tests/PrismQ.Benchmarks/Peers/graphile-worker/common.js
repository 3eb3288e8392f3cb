"use strict";
// Shared by worker.js and enqueue.js: the connection, the logger and a line reader for the C# report's commands.
// Only graphile-worker's public API is used (run, runMigrations, makeWorkerUtils, the jobs view).

const readline = require("readline");
const { Logger } = require("graphile-worker");

/** The PostgreSQL URI (without PrismQ's ?schema= parameter), from the environment the report sets. */
function connectionString() {
  const uri = process.env.PRISMQ_BENCH_PG;
  if (!uri) throw new Error("PRISMQ_BENCH_PG is not set (the C# report sets it)");
  return uri;
}

/** graphile-worker's logger, keeping warnings and errors only (to stderr); success lines are off through NO_LOG_SUCCESS too. */
const quietLogger = new Logger(() => (level, message) => {
  if (level === "error" || level === "warning") process.stderr.write(`[graphile-worker ${level}] ${message}\n`);
});

/** Calls onLine for each line on stdin (awaiting it before the next); resolves when stdin ends. */
function lines(onLine) {
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: process.stdin, terminal: false });
    let chain = Promise.resolve();
    rl.on("line", (line) => {
      chain = chain.then(() => onLine(line.trim())).catch((e) => {
        rl.close();
        reject(e);
      });
    });
    rl.on("close", () => chain.then(resolve, reject));
  });
}

/** A reader of stdin's lines that keeps those read before anyone asked: next() resolves with the next line (null at the end). */
function lineQueue() {
  const rl = readline.createInterface({ input: process.stdin, terminal: false });
  const queued = [];
  const waiting = [];
  let ended = false;
  rl.on("line", (l) => (waiting.length ? waiting.shift()(l.trim()) : queued.push(l.trim())));
  rl.on("close", () => {
    ended = true;
    while (waiting.length) waiting.shift()(null);
  });
  return {
    next: () => (queued.length ? Promise.resolve(queued.shift()) : ended ? Promise.resolve(null) : new Promise((r) => waiting.push(r))),
    close: () => rl.close(),
  };
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

module.exports = { connectionString, quietLogger, lines, lineQueue, sleep };
