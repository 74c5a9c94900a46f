/**
 * The hand-written part of `docs/performance.md`: per benchmark, what it measures, the targets of
 * its RESULT figures and what limits them. The figures themselves come from `bench/results/`.
 */

/** A RESULT figure's target: its wording and whether a value meets it (given the run's other figures). */
export interface Target {
  text: string;
  met(value: number, figures: Readonly<Record<string, unknown>>): boolean;
}

export interface BenchNotes {
  /** The benchmark's name in its result files. */
  bench: string;
  title: string;
  /** The npm script that runs it. */
  script: string;
  /** What it measures: Markdown blocks before the runs. */
  about: readonly string[];
  /** Per RESULT figure: what it is, and its target when it has one. */
  figures: Readonly<Record<string, { meaning: string; target?: Target }>>;
  /** Reading the figures, what limits them: Markdown blocks after the runs. */
  reading: readonly string[];
}

const atLeast = (limit: number, text: string): Target => ({ text, met: (value) => value >= limit });
const atMost = (limit: number, text: string): Target => ({ text, met: (value) => value <= limit });
/** Equal to another figure of the same run (every case, for example). */
const allOf = (figure: string, text: string): Target => ({
  text,
  met: (value, figures) => value === figures[figure],
});

const INGEST: BenchNotes = {
  bench: 'ingest',
  title: 'Ingest',
  script: 'bench:ingest',
  about: [
    'Produces a workload into queue topics of its own (by default 200,000 messages of about 1 KB: ' +
      '40 % tasks, 35 % results with LLM usage, 10 % heartbeats, 15 % errors with stack traces), ' +
      'then times two consumers on it, one after the other, from their readiness until every message ' +
      'is queryable in ClickHouse: the real processors (`agent-telemetry processors`, started ' +
      'with the settings of `lib/process-env.ts` as in production) and a peer, a plain KafkaJS ' +
      'consumer with the same codec, mappers and batching. Then it sends a steady rate into the ' +
      'running processors and times each message from its send to the first ClickHouse poll that ' +
      'sees it (freshness), and reads the processors’ peak resident memory. With `--processors P` ' +
      'the same workload runs again into P processes in one consumer group. `--payload-bytes ' +
      '102400` gives every task and result a 100 KB payload; the peer batches by count, and its ' +
      'inserts of 5,000 such messages fail, so those runs leave it out (`--no-peer`). Phases and ' +
      'output lines: [bench/README.md](../bench/README.md).',
  ],
  figures: {
    ingest_msgs_per_s: {
      meaning: 'messages stored per second by one processors process',
      target: atLeast(30_000, '≥ 30,000'),
    },
    peer_msgs_per_s: { meaning: 'the same for the peer (n/a without it)' },
    ratio: { meaning: 'processors over peer', target: atLeast(2, '≥ 2') },
    freshness_p99_ms: {
      meaning: 'p99 from send to queryable at the freshness rate',
      target: atMost(1_000, '≤ 1,000'),
    },
    rss_mb: { meaning: 'peak resident memory of the processors process, MiB', target: atMost(256, '≤ 256') },
    processes: { meaning: 'processes of the scale-out phase' },
    scaled_msgs_per_s: { meaning: 'messages stored per second by them together' },
    per_process_msgs_per_s: { meaning: 'by each of them' },
    scaled_rss_mb: {
      meaning: 'the highest peak resident memory among them, MiB',
      target: atMost(256, '≤ 256'),
    },
  },
  reading: [
    '- **The machine.** Kafka, the registry, ClickHouse and the consumer under test share the ' +
      'cores; each phase’s `phase cpu` line shows how. Their CPU per message together bounds the ' +
      'rate, so the rate says as much about the machine and its load as about the code. The ratio ' +
      'to the peer, measured on the same machine and workload a minute apart, depends less on the ' +
      'machine, though a change of load between the two phases still moves it.',
    '- **Memory.** The V8 heap limit (`--max-old-space-size=192`) keeps V8 from growing its heap, ' +
      'and the Buffers it has not collected yet, far past what the processors hold; ' +
      '`MALLOC_ARENA_MAX=2` keeps librdkafka’s threads from fragmenting the native heap into an ' +
      'arena each; librdkafka prefetches 4 MiB (queued and per fetch) instead of 64 and 50 MiB; and ' +
      'insert bodies are encoded piece by piece as the request takes them, so a batch of 100 KB ' +
      'payloads is never whole in memory. The output’s line `at the highest sampled RSS` splits the ' +
      'RSS into the JavaScript heap, Buffers outside it and the rest (librdkafka’s queues, code, ' +
      'stacks). The peer runs with Node’s defaults.',
    '- **The price** of the heap limit is CPU: V8 collects more often, which shows in the ' +
      'processors’ µs of CPU per message next to the peer’s.',
    '- **A second process** adds throughput when one process spends its time waiting rather than ' +
      'computing (with 100 KB payloads it waits for ClickHouse to parse large inserts) and cores are ' +
      'to spare. On a small machine both compete with ClickHouse for the same cores, and the ' +
      'rebalance as the second one joins revokes the first one’s partitions, so the scale-out ' +
      'figures can fall below one process alone. On a cluster, processors scale with partitions ' +
      'until ClickHouse’s insert and merge capacity is the limit: give ClickHouse its own cores ' +
      'before adding processors.',
  ],
};

const API: BenchNotes = {
  bench: 'api',
  title: 'API',
  script: 'bench:api',
  about: [
    'Measures the API, not the machine’s saturation. It seeds a fresh database server-side with ' +
      '1,000,000 errors and 1,000,000 messages over the last 3 days (denser recently, as a store ' +
      'fills), merges it, starts the API (`agent-telemetry api`) as the read-only user, and ' +
      'asks every REST and GraphQL route idle: one client, one request at a time, with p50, p99 and ' +
      'max against the targets and the CPU per request of the API process (from `/proc`) and of its ' +
      'queries in ClickHouse (from the query log). Then, with the processors ingesting 2,000 msg/s into the same database, an ' +
      'open-loop mix of every route at fixed offered rates of 25, 50 and 100 req/s, each request ' +
      'timed from when it was due, so that a stall shows as latency; an answer later than 10 s is an ' +
      'error. Routes and output: [bench/README.md](../bench/README.md).',
  ],
  figures: {
    idle_p99_ms: {
      meaning: 'p99 over every idle request (targets per route: ≤ 20 ms by id, ≤ 50 ms for lists)',
    },
    p99_at_50rps_ms: { meaning: 'p99 over the REST and GraphQL mix at 50 req/s', target: atMost(50, '≤ 50') },
    graphql_p99_at_50rps_ms: { meaning: 'p99 of its GraphQL requests', target: atMost(80, '≤ 80') },
    cpu_ms_per_req: { meaning: 'idle CPU per request, API and ClickHouse, ms', target: atMost(5, '≤ 5') },
  },
  reading: [
    '- **Where a read’s time went, and what changed.** Measured per query in ClickHouse’s query log ' +
      '(user + system CPU) on the same seed. A page of errors read every column of six 8,192-row ' +
      'granules: its conditions now go to `PREWHERE`, so the wide columns (stack traces, inputs) are ' +
      'read only where a row passed (52 → 29 ms of CPU for a page of critical errors), and the ' +
      'read-only profile reads through ClickHouse’s cache of decompressed blocks ' +
      '(`use_uncompressed_cache`; the newest granules every list asks for are decompressed once, ' +
      '15 ms). A GraphQL page reads only the columns of the selected fields and counts its total only ' +
      'when `total` is selected (7 fields: 4 ms). Totals count distinct 64-bit hashes of the ids ' +
      '(31 → 15 ms over an hour of errors). A newest page is looked for in the last minute first: an ' +
      'hour of times is a quarter of a million rows to sort. Per request, idle: 19.0 → 5.5 ms of CPU, ' +
      'p99 82.5 → 24.9 ms over every route (runs on `1054120` and `4ec7ebd`, same machine, ' +
      'ClickHouse’s CPU then the whole server’s).',
    '- **What the API process spent, and fewer round trips.** REST answers were Node’s global ' +
      '`Response`, whose body the server adapter under graphql-yoga can only pump through a web ' +
      'stream; they are now the adapter’s own (`api/http/fetch-api.ts`), written at once. API CPU ' +
      'per request (`/proc`, 60 requests each on an idle machine, 1M + 1M store): a queue view ' +
      '(65 KB) 9.5 → 5.8 ms, a page of errors 9.3 → 5.0 ms, the cached error summary 0.53 → 0.37 ms. ' +
      'A newest page on a busy store is one query (its time bound a scalar subquery of the last ' +
      'minute) instead of two; each round trip costs the API about 0.6 ms in the ClickHouse client. ' +
      'An error total over “the last hour” shares its whole minutes through the cache and counts ' +
      'only the part-minutes per request (17.8 ms of ClickHouse CPU per request before, about 1 ms ' +
      'after). In the idle table, API CPU of `GET /api/v1/queues/{agent}` went 6.7 → 4.6 ms and of ' +
      '`GET /api/v1/errors?<filters>` 7.5 → 5.3 ms (runs on `4390f29` and `b556aef`). Two runs on ' +
      '`b556aef`, one after the other: `RESULT idle_p99_ms=38.4 p99_at_50rps_ms=1229.7 ' +
      'graphql_p99_at_50rps_ms=1174.2 cpu_ms_per_req=7.46` (its producer fell behind its pace in 58 ' +
      'slices) and `RESULT idle_p99_ms=27.9 p99_at_50rps_ms=367.9 graphql_p99_at_50rps_ms=317.8 ' +
      'cpu_ms_per_req=6.47` (34 slices). The TASK messages of pending tasks, which every queue view ' +
      'lists, are then read by the key their task’s row carries (trace, submission time, id) instead ' +
      'of by id through `message_refs`: 35 against 52 ms of ClickHouse CPU per lookup of up to a ' +
      'hundred in the mix (query log; 15 against 20 ms on an idle store); the run on that change is ' +
      'this one (`1a46ce9`): `RESULT idle_p99_ms=30.0 p99_at_50rps_ms=303.0 ' +
      'graphql_p99_at_50rps_ms=192.9 cpu_ms_per_req=6.04`.',
    '- **What a page of errors costs ClickHouse** is mostly its stack traces: a REST page holds every ' +
      'field, and ClickHouse reads a column for whole 8,192-row granules, so a page of the newest ' +
      'critical errors of five agents decompresses 41,536 stack traces to return 51 (12.4 ms of CPU; ' +
      '5.1 ms without that column). On a copy of the table with 1,024-row granules the same page cost ' +
      '3.4 ms. ClickHouse cannot change a table’s granule size in place, so getting there is a ' +
      'rebuild: migration 0010 rebuilds `error_facts` in 1,024-row granules while the processors keep ' +
      'writing (docs/architecture.md, Tables; `lib/table-rebuild.ts`). After it, the errors route ' +
      'cost 3.6, 8.1 and 5.7 ms of ClickHouse CPU per request in the idle table of three runs (12.7 ' +
      'before) and its p99 22.2, 31.7 and 32.5 ms. A first version copied the inserts made during the rebuild through a ' +
      'materialized view; a stress test of fifteen rebuilds with two writers lost one batch on 18.16, ' +
      'so what reaches the old table after the copy began is now found by block number and copied ' +
      'after the swap (66 rebuilds per engine without a loss). `message_log` keeps 8,192-row ' +
      'granules: on a copy with 1,024 a queue view gained 0.3 ms. So did `task_lifecycle` at first ' +
      '(a task lookup gained 0.4 ms), until its lookups named the task’s agent and read the states ' +
      'through `PREWHERE`, and its blocks were compressed in 4 KiB: then the task’s row cost ' +
      '3.0 to 4.0 ms of ClickHouse CPU in 8,192-row granules (21,541 rows of states read) and 1.5 ' +
      'to 2.2 ms in 1,024 (2,587 rows), 4.0 to 5.1 against 2.2 to 3.1 ms of query time (copies of ' +
      'the table on the 1M + 1M store, 200 tasks per run, three runs, 18.16); by id alone 5.9 to ' +
      '7.1 against 2.9 to 3.2 ms. Migration 0012 rebuilds it so. Its view writes into it, so a ' +
      'rebuild also waits for the inserts into the view’s source that were running at the swap: on ' +
      'an Atomic database such an insert goes on into the old table (an integration test lost its ' +
      'hundred rows without the wait).',
    '- **A first page’s bound is shared.** A first page (no cursor) of errors or messages now takes ' +
      'its lower time bound from the read cache: the time of the page’s last row for that filter ' +
      '(without its `since`), found once per filter and refresh and shared by every caller; the page ' +
      'is one query, its own last row found within that bound by a scalar subquery on the time ' +
      'column (docs/api.md, Freshness and the read cache). Before, a filter rare in the last minute ' +
      'paid a query of the last minute, a search for the bound and then the page, for every caller. ' +
      'Query log, 40 requests each on the 1M + 1M store: a queue view 4.2 → 1.6 ms of ClickHouse ' +
      'CPU (and 6.8 → 4.5 ms of API CPU, one round trip instead of two), a page of errors ' +
      '13.6 → 8.8 ms. Reading the rows from the shared bound itself, as a first version did, cost ' +
      'more under ingest: a bound a refresh old (30 to 55 s while ClickHouse was busy) made a queue ' +
      'page read 50,000 to 70,000 rows of payloads, 40 to 70 ms of CPU each; with the subquery a ' +
      'queue page in the mix costs 7 ms. Also: zod schemas of parameters are built once instead of ' +
      'in every GraphQL resolver call (0.2 ms of API CPU per request in a CPU profile), and a task’s ' +
      'row is read under the agent its TASK went to, after the messages that name it (20,702 rows ' +
      'and 4.2 ms per lookup in the idle run, against 77,788 rows and 6.2 ms by id alone). Three ' +
      'runs: on `827cbdf` `RESULT idle_p99_ms=23.6 p99_at_50rps_ms=309.2 ' +
      'graphql_p99_at_50rps_ms=313.3 cpu_ms_per_req=4.97`, on `8ea1443` `RESULT idle_p99_ms=28.1 ' +
      'p99_at_50rps_ms=183.1 graphql_p99_at_50rps_ms=174.4 cpu_ms_per_req=6.01` and `RESULT ' +
      'idle_p99_ms=24.6 p99_at_50rps_ms=268.3 graphql_p99_at_50rps_ms=220.1 cpu_ms_per_req=5.07`. ' +
      'With `error_facts` rebuilt: on `10b1ae7` `RESULT idle_p99_ms=20.4 p99_at_50rps_ms=306.0 ' +
      'graphql_p99_at_50rps_ms=258.5 cpu_ms_per_req=4.40`, on `e19eace` (load average 2.52 at its ' +
      'start, API CPU higher on every route) `RESULT idle_p99_ms=42.1 p99_at_50rps_ms=841.0 ' +
      'graphql_p99_at_50rps_ms=780.0 cpu_ms_per_req=6.64`, and after it `RESULT idle_p99_ms=23.9 p99_at_50rps_ms=238.1 graphql_p99_at_50rps_ms=244.3 cpu_ms_per_req=5.41`. What is left of the CPU is spread: a task and its messages and errors (7 to 8 ms), a queue view’s pending TASK messages ' +
      '(up to a hundred read by key from 256-row granules of `messages_by_trace`: 12 ms on a merged ' +
      'store, 29 ms per read in the bench’s runs, each set of keys cached for the cache’s TTL).',
    '- **Where the CPU goes under ingest, and reads beside small parts.** The mix now prints, per ' +
      'rate, the cores each process used: at 50 req/s in the run on `4c5ee9c`, 1.65 of 2 cores were busy: ClickHouse ' +
      '0.85 (the API’s queries 0.51, the inserts, their views and merges 0.34), Kafka 0.22, the ' +
      'producer 0.16, the API 0.16, the processors 0.14, the load generator 0.10. The producer now ' +
      'runs in a process of its own: in the benchmark’s process, generating each 5 s chunk of ' +
      'workload (10,000 messages, 130 ms or more) held the load generator’s event loop, whose ' +
      'longest delay per rate was 105 to 132 ms (25 to 117 ms in five runs since: on a busy machine ' +
      'a process waits for a core). Under ingest a table read by key has a few small parts ' +
      'beside its large ones, and a small part’s one granule spans every key, so each lookup reads a ' +
      'granule of each: reads by trace now use `PREWHERE`, so the wide columns are read only where a ' +
      'row matched (the errors of a trace beside five small parts: 14.7 to 17.4 → 6.8 to 7.5 ms of ' +
      'ClickHouse CPU). The tables read by key compress in blocks of at least 4 KiB instead of 64 KiB ' +
      '(migration 0011; docs/architecture.md, Tables): a queue’s hundred pending TASK messages read ' +
      'by key 56 to 57 → 20 to 23 ms, a task lookup 5.65 → 4.47 ms, an error by id 2.27 → 1.82 ms ' +
      '(the same ids before and after the tables were rewritten), for 3.6 % more disk. The pending ' +
      'tasks are found by merging only the keys of the open rows (323 to 377 against 475 to 517 ms ' +
      'for the overview of 850,000 tasks, refreshed every few seconds while anyone asks). A trace’s ' +
      'graph read `message_log`’s trace ids whole (11.9 → 0.9 ms). The processors fetch 64 KiB or ' +
      '100 ms at a time (0.23 → 0.14 of a core at 2,000 msg/s). Runs on these changes as they came: ' +
      '`RESULT idle_p99_ms=27.9 p99_at_50rps_ms=265.0 graphql_p99_at_50rps_ms=219.3 ' +
      'cpu_ms_per_req=6.43` (before them), `27.6 / 318.9 / 329.9 / 5.93` (fetches), `24.8 / 5,089.0 / ' +
      '5,396.0 / 5.66` (the producer’s process; the machine at 1.97 of 2 cores during the mix), ' +
      '`27.8 / 182.1 / 182.1 / 6.13` (`4d57ec9`), `24.3 / 167.0 / 176.6 / 5.66` (`de481aa`), `22.9 / ' +
      '232.5 / 278.3 / 5.30` and `23.6 / 264.0 / 272.8 / 5.43` (`4c5ee9c`).',
    '- **A task’s row in 1,024-row granules, and what reads by key cost under ingest.** Migration ' +
      '0012 rebuilds `task_lifecycle` in 1,024-row granules (above: a task’s row 3.0 to 4.0 → 1.5 to ' +
      '2.2 ms of ClickHouse CPU); the rebuild also waits for the inserts into the view’s source that ' +
      'were running at the swap. The query log of a run’s idle table and of its mix (`b6f0576`, the ' +
      'run recorded then) shows where a lookup’s cost goes under ingest: per query, the messages read ' +
      'by key 4.17 → 8.68 ms (parts read 1.9 → 10.2, rows 6,991 → 13,976), the errors by key 3.17 → ' +
      '7.70 ms (parts 1.9 → 8.0), a task’s row 2.96 → 6.08 ms (parts 1.2 → 5.2). ClickHouse 18.16 ' +
      'keeps the first key of each granule only, so a part’s last granule reaches to the end of the ' +
      'key range, and a lookup skips a small part only when its key sorts before the part’s first ' +
      'key; a small part read costs a granule of each column read. Tried and left: one thread per ' +
      'query for the API’s profile, so that a shared refresh takes one core instead of two ' +
      '(`RESULT idle_p99_ms=24.9 p99_at_50rps_ms=827.8 graphql_p99_at_50rps_ms=840.8 ' +
      'cpu_ms_per_req=6.24`, no better); the pending overview as a join of the open rows with every ' +
      'row’s resolution and expiry (the same answer, 330 to 340 against 433 to 557 ms, three refreshes ' +
      'a minute during the mix: 0.01 of a core); a condition on the day of the rows read through the ' +
      'refs tables, which lets a lookup skip the parts of days it does not ask for (1,393 → 768 rows ' +
      'with six small parts of today beside the store) but nothing for a task of today or yesterday, ' +
      'which is what a debugging session asks about. Two runs on `ad7e270`: `RESULT ' +
      'idle_p99_ms=26.0 p99_at_50rps_ms=329.7 graphql_p99_at_50rps_ms=329.7 cpu_ms_per_req=6.02` ' +
      'and `28.3 / 366.8 / 366.8 / 7.56` (CPU per request higher on every route, those the change ' +
      'does not touch too); on `b6f0576` the one recorded then. The spread of these runs is as large ' +
      'as any one change.',
    '- **The diagnosis is shared, and costly.** `/claude/diagnose` runs 32 queries and costs 2.4 s of ' +
      'ClickHouse CPU on this seed (0.8 s of it the pending and stuck tasks over all 850,000 tasks). ' +
      'Callers within the read cache’s period (`API_CACHE_TTL_MS`, or five times the last ' +
      'diagnosis’s time) share one report; still, its refreshes are the largest single load of the ' +
      'mix: at 50 req/s without the diagnose route the p99 was 356 ms, with it 1,800 ms (the run ' +
      'before reports were kept five times their time, not twice). The other shared views (queues, ' +
      'pending, summaries, groups, totals) are reused for ten times their query time when that ' +
      'exceeds the TTL, so a slow view spends at most a tenth of the time refreshing.',
    '- **Under ingest on a small machine** ClickHouse has little CPU left for reads: during the mix ' +
      'the processors’ inserts and merges, Kafka, the producer and the API share two cores. With ' +
      'the processors storing every 200 ms, ingest at 2,000 msg/s alone kept ClickHouse at 64 to ' +
      '93 % of a core merging parts; storing a steady stream once a second brought it to 32 %. Kafka ' +
      'took 54 % of a core during the mix; half of it was the API’s live tap (below), the rest serves ' +
      'the producer (librdkafka sends one produce request per partition per linger of 5 ms) and the ' +
      'processors’ fetches. What remains above the target at 50 req/s is queueing for a core: a lookup that needs 5 to ' +
      '15 ms of CPU waits hundreds of milliseconds. The API keeps that from growing into timeouts. ' +
      'Reads a caller waits on and the shared views take separate pools ' +
      '(`API_CLICKHOUSE_CONNECTIONS`, `API_CLICKHOUSE_SHARED_CONNECTIONS`); a read that finds every ' +
      'request connection busy for `API_CLICKHOUSE_QUEUE_MS` (3 s) is answered 503 at once instead of ' +
      'queueing past the client’s timeout; a client that leaves stops its queries (ClickHouse 18.16 ' +
      'keeps running an abandoned read, so the API sends `KILL QUERY`). The errors in the mix table ' +
      'are those 503s; their share is the offered rate the machine cannot answer.',
    '- **One shared scan at a time.** In the query log of a run on `b7098e3`, the API’s queries in the ' +
      '20 s at 50 req/s were 1,030 queries and 11.05 s of ClickHouse CPU; 59 of them read the whole ' +
      'store (the cached views and the diagnosis, over 90,000 rows each) and took 4.14 s of it, ' +
      'in runs of 80 to 490 ms with two threads each. Up to three ran at once ' +
      '(`API_CLICKHOUSE_SHARED_CONNECTIONS` was 3), so lookups shared two cores with up to six ' +
      'threads of scans: a lookup’s query took 22 to 30 ms on average, 18 to 24 ms of it waiting for ' +
      'a core (`OSCPUWaitMicroseconds`), against 1 to 7 ms idle. ClickHouse already gives each query ' +
      'every core (`max_threads`), so scans side by side finish no sooner; the shared pool now has ' +
      'one connection. A refresh that waits for it counts the wait in its time, which spaces that ' +
      'view’s next refresh. Three runs with three connections: `RESULT idle_p99_ms=23.6 ' +
      'p99_at_50rps_ms=219.6 graphql_p99_at_50rps_ms=219.6 cpu_ms_per_req=4.79`, `21.0 / 127.8 / ' +
      '136.6 / 4.77` and `23.0 / 203.5 / 200.7 / 6.14`, with a p99 at 100 req/s of 1,688, 4,073 and ' +
      '5,784 ms (97.1, 90.7 and 87.1 answered per second, 20 errors in the third). Five with one: ' +
      '`18.2 / 101.0 / 109.6 / 4.21` and `18.4 / 139.9 / 139.9 / 4.29` (`b7098e3` with ' +
      '`API_CLICKHOUSE_SHARED_CONNECTIONS=1`), `19.3 / 105.6 / 110.3 / 4.85` and `19.8 / 121.4 / ' +
      '121.8 / 4.45` (`3e5333c`), `19.5 / 122.5 / 127.0 / 4.34` (`2c2f63c`), ' +
      'with 455, 368, 3,747, 707 and 1,062 ms at 100 req/s (98.8 to 100.0 answered per second, 3 ' +
      'errors in all).',
    '- **Narrowed pending lists from the overview, and where the time goes at 50 req/s.** ' +
      '`pendingTasks(filter: {min_priority})` ran a scan of its own over the open rows (470 ms of ' +
      'ClickHouse CPU, 860,783 rows) at each refresh; a list narrowed by priority or age now comes ' +
      'from the pending overview whenever the overview provably holds it (docs/api.md, Freshness and ' +
      'the read cache). In the query log of a run with both changes (`3e5333c`, `RESULT ' +
      'idle_p99_ms=19.3 p99_at_50rps_ms=105.6 graphql_p99_at_50rps_ms=110.3 cpu_ms_per_req=4.85`), ' +
      'the 20 s at 50 req/s were 969 queries and 11.27 s of ClickHouse CPU: 50 whole-store reads ' +
      '5.49 s (one diagnosis 2.3 s, 1.25 s of it one pass over every task; the overview twice, 525 ' +
      'ms each; the message totals and the error summary three times each, about 200 ms), messages ' +
      'by key 2.37 s (320 queries), errors by key 1.97 s (332), task rows 0.52 s (110). The machine ' +
      'was 1.44 of 2 cores busy: ClickHouse 0.73 (the API’s queries 0.45, the ingest’s inserts, ' +
      'views and merges 0.27), Kafka 0.19, the producer 0.17, the API 0.15, the processors 0.13, the ' +
      'load generator 0.09. The API process (`--cpu-prof-dir`, a whole run: 20.0 s busy) spent 3.3 s ' +
      'writing to sockets, 2.5 s collecting garbage, 0.9 s parsing ClickHouse’s JSON and 0.65 s ' +
      'serializing answers; no one function of its own above 0.65 s. Tried and left: the shared views ' +
      'as a second read-only user whose profile has `priority` 2, lookups 1, so that ClickHouse ' +
      'pauses a scan while a lookup runs (on 18.16 a 4 s scan at priority 2 beside one at 1 took 8.7 ' +
      's, the other 4.4 s). Its run: `RESULT idle_p99_ms=19.6 p99_at_50rps_ms=111.6 ' +
      'graphql_p99_at_50rps_ms=110.3 cpu_ms_per_req=5.14`, 251.7 ms at 100 req/s: at 50 req/s no ' +
      'better, since the lookups’ queries still waited for a core 1.5 to 3 times their CPU, in ' +
      'seconds without a scan too, behind the ingest (inserts, merges, Kafka, the producer, the ' +
      'processors); and it takes a second user in every deployment.',
    '- **The API’s event loop, held by the diagnosis’s time breakdown.** The tail at 25 req/s was ' +
      'often longer than at 50 (168 to 647 ms in the seven unprofiled runs before the fix), and ClickHouse did not explain it: with the shared ' +
      'views as a user of their own, no lookup’s query took over 107 ms in those 20 s. The API’s CPU ' +
      'profile did: each refresh of the diagnosis held the event loop for 330 to 740 ms in one ' +
      'stretch, every request in flight waiting behind it, in the time breakdown of its window. A ' +
      'busy window has more answers than a read keeps (10,000); the tasks and LLM calls of all of ' +
      'them were read and parsed (57,526 to 87,940 rows of each during the mix, now 10,000), and each task’s times ' +
      'were built by spreading an object into a new literal, about 10 µs a task on Node 20 (10,000 ' +
      'tasks: 124 to 154 ms; with every field named, 16 to 31 ms). The tasks and calls are now read ' +
      'for the answers kept only (`api/timing/window.int.test.ts` checks the kept tasks’ breakdowns ' +
      'against a read that keeps every answer, on both engines). The longest stretch of a profiled ' +
      'run after it: 152 ms; the API busy 16.3 s over the run against 20.0 s; that run’s p99 at 25 ' +
      'req/s 131.6 ms, at 100 req/s 210.7 ms (profiling slows the API: `RESULT idle_p99_ms=23.4 ' +
      'p99_at_50rps_ms=124.9 graphql_p99_at_50rps_ms=137.7 cpu_ms_per_req=5.51`). What still holds ' +
      'the loop for 80 to 125 ms at a time: the delegation-loop detector parsing every task payload ' +
      'of the window’s traces for its goal, and collecting garbage after large answers. Two runs ' +
      'without the profiler: `21.2 / 150.6 / 149.3 / 5.61` (`7487328`; 179.4 ms at 25 req/s) and ' +
      '`21.2 / 129.0 / 159.2 / 4.87` (`6e4f24c`, the one recorded ' +
      'here; 128.3 ms at 25 req/s, 1,008 ms at 100 req/s).',
    '- **Where the tail at 50 req/s is; three stalls and a queue removed.** The mix now prints the ' +
      'API’s own event loop delay per rate (its `/metrics`). At 50 req/s its longest delay was 43 to ' +
      '154 ms in the runs below while the p99 of the mix was 145 to 200 ms (612 in one), so most of ' +
      'the tail is ClickHouse’s: ' +
      'in the query log of the 50 req/s phase on `a18b5b4`, lookups that used 3 to 13 ms of CPU ' +
      'waited 90 to 260 ms for a core (`OSCPUWaitMicroseconds`), the machine 1.57 of 2 cores busy on ' +
      'average, the ingest (Kafka, the producer, the processors, the inserts and merges) 0.8 of them. ' +
      'What the API did about its own part: the delegation-loop detector parsed the payload of every ' +
      'TASK of the window for its goal (80 to 125 ms of the event loop per diagnosis), and the facts ' +
      'read 512 characters of each; a goal’s delegations are some of the trace’s, so a trace whose ' +
      'delegations have no cycle loops under no goal, and the payloads are now read and parsed only ' +
      'for traces with a cycle (a property test checks the detector against the definition on random ' +
      'traces). The time breakdown’s 10,000 tasks are built in slices of 1,000 between turns of the ' +
      'event loop (one stretch of 77 to 187 ms per diagnosis in the profiles). A pending list’s ' +
      'messages were cached under a key naming its tasks, 40 KB with object keys sorted by ' +
      '`localeCompare` for every request (35 ms of one request in a profile): long keys are now a ' +
      'SHA-256 digest. And a load that callers wait for (nothing cached yet, or too stale) queued ' +
      'behind the shared connection’s refreshes: at 50 req/s an error list with a filter not asked ' +
      'for in the last minute waited 3,494 ms for its count behind a diagnosis, whose queries held ' +
      'the one connection for 7 s. Such loads now go before the queued refreshes (docs/api.md). ' +
      'Sending them to the request pool instead (`f5c7c36`) let a diagnosis’s thirty scans take the ' +
      'connections of lookups. A view that takes 6 s or more to load was never refreshed behind its ' +
      'callers (it went stale and too stale at the same age, ten of its loads): it is served stale ' +
      'for twice the time it stays fresh. Tried and ' +
      'left: `max_threads` 1 in the read-only profile. The whole-store views cost the same CPU on one ' +
      'thread as on two (the queues’ totals 154 to 188 against 142 to 153 ms, the pending overview ' +
      '421 to 435 against 411 to 434 ms, five runs each on the seed), so it only lengthens them; its ' +
      'one run: `19.3 / 141.8 / 166.9 / 4.78`. Runs (`RESULT` idle / 50 REST+GraphQL / 50 GraphQL / ' +
      'CPU): `22.0 / 144.5 / 136.0 / 5.38` (`a18b5b4`), `21.6 / 199.9 / 253.6 / 5.26` (`a99ce65`, the ' +
      '3.5 s count), `22.8 / 162.9 / 167.4 / 5.09` (`f5c7c36`), `25.5 / 184.1 / 184.1 / 6.25` and ' +
      '`27.6 / 175.5 / 179.8 / 6.94` (`cc28635`, ClickHouse up for 40 min of benchmarks, idle lookups ' +
      '35 % slower in both processes than in the runs before), then, the stack restarted, ' +
      '`23.8 / 154.3 / 135.1 / 5.95` and `22.0 / 612.1 / 633.7 / 5.45` (`cc28635`; in the second the ' +
      'lookups’ p50 at 50 req/s was 40 to 94 ms), `22.6 / 146.5 / 175.3 / 5.51` (`add9d60`, the one ' +
      'recorded here) and `27.3 / 188.0 / 204.2 / 6.07` (`add9d60`). At 100 req/s the runs went from 0.34 s to 6.2 s (126 requests ' +
      'answered 503 once every request connection stayed busy for 3 s): the machine at 1.9 to 2.0 ' +
      'of 2 cores.',
    '- **Where an idle lookup’s CPU goes.** `GET /api/v1/tasks/{task_id}` alone, 1,000 requests in a ' +
      'row on the seed, six runs (`/proc`): the API 3.2 to 4.6 ms of user and 0.3 ms of system time a request, against ' +
      '0.34 + 0.03 for `/api/v1/agents` (a cached view: routing, the HTTP adapter, the answer); ' +
      'ClickHouse 8.4 ms over its three reads (query log: the messages 2.7, the task’s state 3.4 reading ' +
      '3,072 rows, the errors 2.2). One round trip through @clickhouse/client costs the API 0.5 to 0.8 ms ' +
      'of CPU once warm whatever the format (JSONEachRow rows, JSON, text; `SELECT 1` or ten rows of ' +
      '`message_log`), and the API’s profile has no function of its own above 0.1 ms a request: the ' +
      'rest is streams, promises and sockets, including 0.25 ms a request of `DOMException`s that ' +
      'Node’s `stream.pipeline` creates when it finishes (it aborts its own signal). Tried and ' +
      'left: parsing the rows from the answer’s text instead of the client’s row stream (3.4 against ' +
      '3.6 ms of the API’s CPU over three alternating runs, within their spread), and the queues’ ' +
      'all-time totals as a sum of per-minute distinct counts (exact, since a message’s minute is its ' +
      'own `sent_at_ms`; 215 to 269 ms of CPU against 199 to 218 for the one `uniqExactMerge`: reading ' +
      'the states is the cost). In the idle phase the API’s reads in ClickHouse were, by CPU: the ' +
      'diagnosis’s pass over every task (1.2 s each), the error and message lookups (3.7 and 3.9 ms, ' +
      '636 and 551 of them), the pending overview (588 ms), the queues’ totals (218 ms), the error ' +
      'summary and groups (250 and 188 ms). Two runs on `392c2c0`: `28.0 / 210.6 / 259.6 / 6.33` and ' +
      '`29.3 / 497.2 / 554.5 / 7.57` (the second with ClickHouse’s own inserts, views and merges at ' +
      '0.39 of a core at 50 req/s against 0.24 in the first).',
    '- **The live tap** (the API’s own consumer for the live feeds) fetched a few records per round ' +
      'trip and its librdkafka broker thread used 16 to 23 % of a core at 2,000 msg/s whether anyone ' +
      'watched or not; fetches now wait for 256 KiB or 200 ms (3 % of a core). Its fetches name every ' +
      'partition of every queue, though, and the broker’s cost grows with them: on a cluster of 650 ' +
      'queue topics (1,930 partitions), ingest at 2,000 msg/s cost Kafka 27 % of a core without the ' +
      'API and 61 % with an idle one (`/proc`, 20 s; 51 % with fetches of 1 MiB or 1 s, 70 % unbatched). ' +
      'The tap now reads only while someone listens (docs/api.md, Live feeds): with the API idle, ' +
      'Kafka took 28 %, and during the mix at 50 req/s 28 % instead of 54 %. Runs on this change ' +
      '(`4390f29`): `RESULT idle_p99_ms=34.5 p99_at_50rps_ms=256.0 graphql_p99_at_50rps_ms=223.5 ' +
      'cpu_ms_per_req=7.19`, and right after it (load average 5.45 at its start) `RESULT idle_p99_ms=46.3 ' +
      'p99_at_50rps_ms=493.9 graphql_p99_at_50rps_ms=446.2 cpu_ms_per_req=9.61`; the p99 at 50 req/s ' +
      'was 320, 209, 192 and 302 ms in four earlier runs with the tap change. The machine’s noise is ' +
      'as large as any one change.',
    '- **CPU per request** weighs every idle request alike, so it depends on `--idle-requests`. ' +
      'ClickHouse’s share is the CPU of the API’s own queries in the server’s query log (before `4390f29` ' +
      'it was the whole server’s from `/proc`, which billed the requests for background merges ' +
      'and other clients: the line under the idle table gives both). Each route’s idle run starts and ' +
      'ends with no query of the API’s user running, so a background refresh is paid by the route ' +
      'that started it: a route whose run happens to start a diagnosis (2.4 s of ClickHouse CPU) ' +
      'carries it, and over 20 requests that alone is 120 ms per request of that route.',
  ],
};

const DIAGNOSIS: BenchNotes = {
  bench: 'diagnosis',
  title: 'Diagnosis scorecard',
  script: 'bench:diagnosis',
  about: [
    'Runs every agents fault scenario and a synthetic producer of message-graph faults (fresh agent ' +
      'names, each with a real consumer group; healthy history first, then live traffic turned ' +
      'faulty) against Kafka, the processors and ClickHouse 18.16, each case alone, then two mixes, ' +
      'plus a healthy run. Per case: whether the right issue was reported, its rank among the ' +
      'issues naming the case’s agents, and the seconds from the fault’s onset to the first report. ' +
      '`--only a,b` runs some cases.',
  ],
  figures: {
    scenarios: { meaning: 'cases run' },
    detected: { meaning: 'cases whose right issue was reported', target: allOf('scenarios', 'every case') },
    top1: {
      meaning: 'cases where it ranked first among the issues naming the case’s agents',
      target: allOf('scenarios', 'every case'),
    },
    detect_p95_s: {
      meaning: 'p95 seconds from onset to first report (an undetected case counts as the whole wait)',
      target: atMost(10, '≤ 10'),
    },
    false_alarms: {
      meaning: 'medium or worse issues about the healthy run’s agents',
      target: atMost(0, '0'),
    },
  },
  reading: [
    'Detection time runs from the first faulty message to the first report: it holds the time ' +
      'until the evidence a detector needs is there, the processors’ insert and the one-second ' +
      'polling. The diagnosis reads ClickHouse on the same cores as the inserts of every case.',
    'Two cases wait for evidence that comes late by nature. A crashed agent is down once it has ' +
      'been silent for 1.5 of its own heartbeat intervals (more if its beats were ever late), ' +
      'measured up to when the processors had stored its queue: 7.5 s after its last beat for the ' +
      'reference agents’ 5 s beat, and that beat can come just before the crash, so ' +
      '`crashing-agent` is reported 8–9 s after its task arrived. A hung handler looks like a slow ' +
      'one until something gives up on it: `stuck-task` becomes `stuck_tasks` when the requester’s ' +
      '10 s step timeout abandons the task, 10–11 s after onset, the one case over 10 s; from about ' +
      '3 s the reviewer is already reported as possibly slow (`slow_agent`, low), which the ' +
      'scorecard does not count as the finding.',
  ],
};

const SOAK: BenchNotes = {
  bench: 'soak',
  title: 'Soak',
  script: 'soak',
  about: [
    'The processors’ fault suite. Three processor processes in one group, behind a proxy in front ' +
      'of ClickHouse, take a producer at a fixed rate (by default 500 msg/s of the ingest mix for ' +
      '240 s, one poison message in a thousand) while, in turn: one processor is SIGKILLed and a ' +
      'new one started; ClickHouse is stopped (60 s by default); the broker is stopped and started; ' +
      'a fourth processor joins and two leave while the proxy holds every insert past the revoke ' +
      'timeout. Then it waits for the views and checks each against what was produced. It restarts ' +
      'services, so it runs on a stack nobody else is using. The integration tier runs a shorter ' +
      'version (`bench/soak.int.test.ts`) on both ClickHouse engines.',
  ],
  figures: {
    produced: { meaning: 'messages produced' },
    lost: { meaning: 'produced but missing from a view', target: atMost(0, '0') },
    duplicated: { meaning: 'counted more than once in a view', target: atMost(0, '0') },
    dead_lettered: { meaning: 'messages in the dead-letter table: the poison ones' },
    max_rss_mb: {
      meaning: 'highest peak resident memory of any processor process, MiB',
      target: atMost(256, '≤ 256'),
    },
  },
  reading: [
    'The run exits 1 when a view does not match what was produced; the checks above the RESULT ' +
      'line say which view and by how much.',
  ],
};

/** The benchmarks in the page's order. */
export const BENCH_NOTES: readonly BenchNotes[] = [INGEST, API, DIAGNOSIS, SOAK];
