package etcdtest_test

import (
	"flag"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/rollout-go/rollout/controller"
	"github.com/rollout-go/rollout/etcdstore"
	"github.com/rollout-go/rollout/etcdstore/etcdtest"
	"github.com/rollout-go/rollout/internal/fleetbench"
)

var (
	flagReplicas = flag.Int("fleet.replicas", 3, "BenchmarkFleet: controller replicas sharing the fleet through etcd leases")
	flagTTL      = flag.Duration("fleet.ttl", 2*time.Second, "BenchmarkFleet: lease TTL of each replica")
)

// BenchmarkFleet rolls a fleet (-fleet.jobs, -fleet.allocs; 1,000 x 3 by
// default) through a first deployment and a rolling update on the memory
// store and on an etcd server in this process shared by -fleet.replicas
// Managers (3) through leases of -fleet.ttl (2s), then kills one replica
// and measures the takeover (see BENCHMARKS.md, section Fleet):
//
//	go test -run '^$' -bench Fleet -benchtime 1x
func BenchmarkFleet(b *testing.B) {
	b.Run("store=memory", func(b *testing.B) {
		fleetbench.Bench(b, func(*testing.B) fleetbench.Config {
			return fleetbench.Config{Store: controller.NewMemoryStore()}
		})
	})
	b.Run("store=etcd", func(b *testing.B) {
		fleetbench.Bench(b, func(b *testing.B) fleetbench.Config {
			endpoint := etcdtest.Start(b)
			return fleetbench.Config{Replicas: *flagReplicas, Replica: func(int) fleetbench.Replica {
				cli, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { cli.Close() })
				return fleetbench.Replica{
					Store:  etcdstore.New(cli, "/fleet"),
					Leases: etcdstore.NewLeaser(cli, "/fleet", *flagTTL),
					Kill:   func() { cli.Close() },
				}
			}}
		})
	})
}
