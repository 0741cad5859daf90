// Package spider runs logstats over a MariaDB Spider cluster: a head
// server whose tables are links to tables on other MariaDB servers (the
// shards), partitioned across them.
//
// logstats shards the raw requests and the rollups by customer id, so that
// a customer's rows, and the work of its stats queries, are on one shard;
// the small tables (the ledger, the settings, the migrations, the keys) are
// on the first shard, so that a batch's ledger update is in the same
// Spider (XA) transaction as its rows and the head holds no data of its
// own.
//
// [MigrateSharded] provisions a head over its shards once; later processes
// need only the head, opened with package mysql, whose Driver embeds
// [Guard]: before each load and prune it checks that the head commits
// across shards atomically (spider_internal_xa on, one host per shard) and
// settles the XA transactions a dead shard left; it keeps [logstats.Migrate]
// from changing the links instead of the shards' tables; and it adds the
// shards' prepared transactions to what [logstats.Verify] reports.
//
//	head, _ := mysql.Open("root@tcp(head:3306)/logs")
//	s1, _ := mysql.Shard("root@tcp(10.0.0.1:3306)/logs")
//	s2, _ := mysql.Shard("root@tcp(10.0.0.2:3306)/logs")
//	err := spider.MigrateSharded(ctx, head, []spider.Shard{s1, s2})
//	...
//	ing := logstats.NewIngester(head) // loads through the head, guarded
//
// docs/SCALING.md has the details: how a batch commits, what a shard's
// death leaves and how it is settled, and how to grow a cluster.
package spider
