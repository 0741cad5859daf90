// The DuckDB reference of a breakdown (scripts/bench.sh, SPEC §14): the
// same question asked of a table already loaded in a DuckDB file.
//
//   node breakdown.mjs load DB CSV
//     loads a CSV of day, customer_id, method, route, status, latency
//     (seconds) into the table requests of a new DuckDB database, and
//     prints {"rows": N}.
//   node breakdown.mjs query DB CUSTOMER FROM TO REPS
//     asks once (a warm-up), then REPS times, for the customer's requests
//     of the days FROM to TO grouped by method and route, with count,
//     avg, quantile_cont 0.5 and 0.99, min and max of the latency, and
//     prints {"groups": G, "requests": R, "ms": [each timed run]}.
//   node breakdown.mjs fleet DB FROM TO REPS
//     asks, as query does, for every customer's requests of the days FROM
//     to TO grouped by customer, with count, the count of failed ones,
//     avg, quantile_cont 0.5 and 0.99, min and max of the latency (the
//     fleet of SPEC §15), and prints the same (a group a customer).
import { DuckDBInstance } from '@duckdb/node-api';

const [mode, db, ...args] = process.argv.slice(2);
const quote = (s) => `'${s.replaceAll("'", "''")}'`;
const usage = () => {
	console.error('usage: node breakdown.mjs load DB CSV | query DB CUSTOMER FROM TO REPS | fleet DB FROM TO REPS');
	process.exit(2);
};
if (!db) usage();

const instance = await DuckDBInstance.create(db);
const conn = await instance.connect();
if (mode === 'load') {
	const [csv] = args;
	if (!csv) usage();
	await conn.run(`CREATE TABLE requests AS SELECT * FROM read_csv(${quote(csv)},
		header = true, columns = {'day': 'DATE', 'customer_id': 'VARCHAR', 'method': 'VARCHAR', 'route': 'VARCHAR', 'status': 'INTEGER', 'latency': 'DOUBLE'})`);
	const reader = await conn.runAndReadAll('SELECT count(*) FROM requests');
	console.log(JSON.stringify({ rows: Number(reader.getRows()[0][0]) }));
} else if (mode === 'query' || mode === 'fleet') {
	const [customer, from, to, reps] = mode === 'query' ? args : [null, ...args];
	if (!reps) usage();
	const q = mode === 'query'
		? `SELECT method, route, count(*) AS n, avg(latency), quantile_cont(latency, 0.5), quantile_cont(latency, 0.99),
		min(latency), max(latency)
		FROM requests WHERE customer_id = ${quote(customer)} AND day BETWEEN DATE ${quote(from)} AND DATE ${quote(to)}
		GROUP BY method, route ORDER BY n DESC`
		: `SELECT customer_id, count(*) AS n, count(*) FILTER (WHERE status >= 400), avg(latency), quantile_cont(latency, 0.5),
		quantile_cont(latency, 0.99), min(latency), max(latency)
		FROM requests WHERE day BETWEEN DATE ${quote(from)} AND DATE ${quote(to)}
		GROUP BY customer_id ORDER BY n DESC`;
	const n = mode === 'query' ? 2 : 1; // the column of the count
	let rows = (await conn.runAndReadAll(q)).getRows(); // the warm-up
	const ms = [];
	for (let i = 0; i < Number(reps); i++) {
		const start = process.hrtime.bigint();
		rows = (await conn.runAndReadAll(q)).getRows();
		ms.push(Number(process.hrtime.bigint() - start) / 1e6);
	}
	const requests = rows.reduce((sum, r) => sum + Number(r[n]), 0);
	console.log(JSON.stringify({ groups: rows.length, requests, ms }));
} else {
	usage();
}
conn.closeSync();
instance.closeSync();
