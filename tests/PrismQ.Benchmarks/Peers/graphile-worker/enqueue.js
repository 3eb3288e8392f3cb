"use strict";
// The graphile-worker enqueuer of the C# postgres-report: one long-lived process (warm after the report's warm-up
// round, as the report's own process is for PrismQ) that reads one JSON command per line on stdin and answers one
// JSON line on stdout:
//   {"op":"migrate","schema":S}                      creates graphile-worker's schema S (runMigrations)
//   {"op":"one","schema":S,"count":N}                N jobs, one addJob call (one transaction) each, in sequence
//   {"op":"bulk","schema":S,"count":N,"batch":B}     N jobs, one addJobs call per B jobs
//   {"op":"release","schema":S}                      closes the utils (and pool) of S
// Answers: {"ok":true,"seconds":T,"count":N} or {"ok":false,"error":"..."}. Times cover the calls only.

const { makeWorkerUtils, runMigrations } = require("graphile-worker");
const { connectionString, quietLogger, lines } = require("./common");

const utilsBySchema = new Map();

async function utilsFor(schema) {
  let utils = utilsBySchema.get(schema);
  if (!utils) {
    utils = await makeWorkerUtils({ connectionString: connectionString(), schema, logger: quietLogger });
    utilsBySchema.set(schema, utils);
  }
  return utils;
}

async function handle(command) {
  const schema = command.schema;
  switch (command.op) {
    case "migrate": {
      await runMigrations({ connectionString: connectionString(), schema, logger: quietLogger });
      return { ok: true };
    }
    case "one": {
      const utils = await utilsFor(schema);
      const started = process.hrtime.bigint();
      for (let i = 0; i < command.count; i++) await utils.addJob("bench", {});
      return { ok: true, count: command.count, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
    }
    case "bulk": {
      const utils = await utilsFor(schema);
      const batch = command.batch || 1000;
      // The specs are built before the clock starts, as the C# side builds its requests lazily but cheaply.
      const batches = [];
      for (let done = 0; done < command.count; done += batch) {
        const n = Math.min(batch, command.count - done);
        const specs = new Array(n);
        for (let i = 0; i < n; i++) specs[i] = { identifier: "bench", payload: {} };
        batches.push(specs);
      }
      const started = process.hrtime.bigint();
      for (const specs of batches) await utils.addJobs(specs);
      return { ok: true, count: command.count, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
    }
    case "release": {
      const utils = utilsBySchema.get(schema);
      utilsBySchema.delete(schema);
      if (utils) await utils.release();
      return { ok: true };
    }
    default:
      throw new Error(`unknown op '${command.op}'`);
  }
}

async function main() {
  process.stdout.write(JSON.stringify({ ok: true, ready: true, node: process.version }) + "\n");
  await lines(async (line) => {
    if (!line) return;
    let answer;
    try {
      answer = await handle(JSON.parse(line));
    } catch (e) {
      answer = { ok: false, error: String((e && e.stack) || e) };
    }
    process.stdout.write(JSON.stringify(answer) + "\n");
  });
  for (const utils of utilsBySchema.values()) await utils.release();
}

main().catch((e) => {
  process.stderr.write(String((e && e.stack) || e) + "\n");
  process.exit(1);
});
