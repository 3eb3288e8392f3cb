"use strict";
// One graphile-worker process of the C# postgres-report: run() with a no-op task "bench".
//   node worker.js <schema> <concurrency> [<warm-up schema> <warm-up jobs>] 
// Options from the environment (set by the report): PRISMQ_BENCH_PG (the URI), PRISMQ_BENCH_GW_LOCAL_QUEUE (a
// localQueue size; unset = graphile-worker's default, no local queue), PRISMQ_BENCH_GW_COMPLETE_DELAY
// (completeJobBatchDelay in ms; unset = the default, -1, no batching). pollInterval stays at its default (2,000 ms).
// Protocol: warms up on its own scratch schema (when given; the report has created it and queued the jobs), prints "ready", waits for "go" on stdin, runs, waits for
// "stop", stops the runner (graceful), prints "runs <n> errors <e>" and then one job id per line, and exits.

const { run, makeWorkerUtils } = require("graphile-worker");
const { connectionString, quietLogger, lineQueue, sleep } = require("./common");

const [schema, concurrencyText, warmSchema, warmCountText] = process.argv.slice(2);
const concurrency = parseInt(concurrencyText, 10);

function preset() {
  const worker = {};
  if (process.env.PRISMQ_BENCH_GW_LOCAL_QUEUE) worker.localQueue = { size: parseInt(process.env.PRISMQ_BENCH_GW_LOCAL_QUEUE, 10) };
  if (process.env.PRISMQ_BENCH_GW_COMPLETE_DELAY) worker.completeJobBatchDelay = parseInt(process.env.PRISMQ_BENCH_GW_COMPLETE_DELAY, 10);
  return { worker };
}

function options(forSchema, taskList) {
  return {
    connectionString: connectionString(),
    schema: forSchema,
    concurrency,
    // graphile-worker's advice: at least 10, or concurrency + 2 when larger.
    maxPoolSize: Math.max(10, concurrency + 2),
    noHandleSignals: true,
    logger: quietLogger,
    taskList,
    preset: preset(),
  };
}

/**
 * Runs the count jobs the report queued in a scratch schema of this process's own, so the measured run starts from a
 * warm process. The report creates that schema (and every other) before any worker runs: graphile-worker's running
 * workers shut down when a migration happens in the database, whatever the schema.
 */
async function warmUp(forSchema, count) {
  const utils = await makeWorkerUtils({ connectionString: connectionString(), schema: forSchema, logger: quietLogger });
  try {
    let ran = 0;
    let ended = false;
    const runner = await run(options(forSchema, { bench: async () => { ran++; } }));
    runner.promise.then(() => { ended = true; }, () => { ended = true; });
    const deadline = Date.now() + 300000;
    for (;;) {
      const { rows } = await utils.withPgClient((c) => c.query(`select exists (select 1 from "${forSchema}".jobs) as any`));
      if (!rows[0].any) break;
      if (ended) throw new Error(`the warm-up runner stopped after ${ran} of ${count} jobs`);
      if (Date.now() > deadline) throw new Error(`the warm-up ran ${ran} of ${count} jobs in 300 s`);
      await sleep(20);
    }
    await runner.stop();
    if (ran < count) throw new Error(`warm-up ran ${ran} of ${count} jobs`);
  } finally {
    await utils.release();
  }
}

async function main() {
  const input = lineQueue();
  if (warmSchema && parseInt(warmCountText, 10) > 0) await warmUp(warmSchema, parseInt(warmCountText, 10));
  const ids = [];
  let errors = 0;
  let stopping = false;
  process.stdout.write("ready\n");
  const go = await input.next();
  if (go !== "go") throw new Error(`expected "go", read "${go}"`);
  const runner = await run(options(schema, { bench: async (_payload, helpers) => { ids.push(helpers.job.id); } }));
  runner.events.on("job:error", () => { errors++; });
  runner.promise.then(
    () => { if (!stopping) { process.stderr.write("the runner stopped before it was told to\n"); process.exit(4); } },
    (e) => { process.stderr.write(`the runner failed: ${String((e && e.stack) || e)}\n`); process.exit(5); });
  const stop = await input.next();
  if (stop !== "stop") throw new Error(`expected "stop", read "${stop}"`);
  stopping = true;
  await runner.stop();
  input.close();
  process.stdout.write(`runs ${ids.length} errors ${errors}\n${ids.join("\n")}\n`);
}

main().catch((e) => {
  process.stderr.write(String((e && e.stack) || e) + "\n");
  process.exit(1);
});
