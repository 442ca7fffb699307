// Emmett's PostgreSQL event store (npm @event-driven-io/emmett-postgresql) appending as bench/append_rates.py
// measures Shiji: WRITERS concurrent writers, each its own stream, one event per append, each append
// conditional on the stream's version. Copied into a scratch folder where npm installed Emmett
// (bench/emmett/__init__.py); prints one JSON line: {"events": n, "seconds": s, "cpu_seconds": c}, c being
// the Node process's own CPU time (user + system) while it appended.
// Usage: node append.mjs CONNECTION_STRING WRITERS SECONDS
import pg from "pg";
import { getPostgreSQLEventStore } from "@event-driven-io/emmett-postgresql";

const [connectionString, writersArg, secondsArg] = process.argv.slice(2);
const writers = Number(writersArg);
const seconds = Number(secondsArg);
const pool = new pg.Pool({ connectionString, max: writers });
const store = getPostgreSQLEventStore(connectionString, { connectionOptions: { pool } });
await store.schema.migrate();

const entry = (n) => ({
  type: "EntryRecorded",
  data: { entry_id: crypto.randomUUID(), kind: "positive", category: "honour", title: `entry ${n}`, points: "2.5",
          effective_date: "2026-01-15", basis: { reason: "bench", document: "bench" } },
});

// One warm-up append per writer (connections opened, as Shiji's writers are before they are timed); then a
// line on stderr tells the bench the timed appends begin (it starts reading the server's CPU there).
const streams = Array.from({ length: writers }, () => `dossier-${crypto.randomUUID()}`);
await Promise.all(streams.map((stream) => store.appendToStream(stream, [entry(0)], { expectedStreamVersion: 0n })));
const done = new Array(writers).fill(1);
process.stderr.write("warm\n");
const cpuBefore = process.cpuUsage();
const started = performance.now();
const deadline = started + seconds * 1000;
await Promise.all(done.map(async (_, w) => {
  const stream = streams[w];
  while (performance.now() < deadline) {
    await store.appendToStream(stream, [entry(done[w])], { expectedStreamVersion: BigInt(done[w]) });
    done[w] += 1;
  }
}));
const elapsed = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
console.log(JSON.stringify({ events: done.reduce((a, b) => a + b, 0) - writers, seconds: elapsed,
                             cpu_seconds: (cpu.user + cpu.system) / 1e6 }));
await store.close();
await pool.end().catch(() => {});
