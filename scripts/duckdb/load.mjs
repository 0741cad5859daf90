// The DuckDB reference of scripts/bench.sh: what an analyst would run instead
// of logstats. It opens a new DuckDB database FILE, reads a logstats-format
// log (YYYY-MM-DD HH:MM:SS customer path status latency, "-" for a request
// without a latency) with read_csv into a table of its six typed fields, and
// prints one JSON object: the rows the table holds, DuckDB's version and the
// npm package's. The benchmark times this whole process and checks the rows.
//
//   node load.mjs DB LOG
import { createRequire } from 'node:module';
import { DuckDBInstance, version } from '@duckdb/node-api';

const [db, log] = process.argv.slice(2);
if (!db || !log) {
	console.error('usage: node load.mjs DB LOG');
	process.exit(2);
}
const quote = (s) => `'${s.replaceAll("'", "''")}'`;

const instance = await DuckDBInstance.create(db);
const conn = await instance.connect();
await conn.run(`CREATE TABLE requests AS SELECT * FROM read_csv(${quote(log)},
	delim = ' ', header = false, nullstr = '-',
	columns = {'day': 'DATE', 'time': 'TIME', 'customer_id': 'VARCHAR', 'path': 'VARCHAR', 'status': 'INTEGER', 'latency': 'DOUBLE'})`);
const reader = await conn.runAndReadAll('SELECT count(*) FROM requests');
const rows = Number(reader.getRows()[0][0]);
conn.closeSync();
instance.closeSync();

const pkg = createRequire(import.meta.url)('@duckdb/node-api/package.json');
console.log(JSON.stringify({ rows, duckdb: version(), package: pkg.version }));
