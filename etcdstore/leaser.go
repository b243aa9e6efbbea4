package etcdstore

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/controller"
)

// Leaser is a controller.Leaser on etcd: each job's lease is an election
// under <prefix>/leases/<job>/ (the job ID escaped as in Store's keys, so
// that the election of "a" holds no candidate for "a/b") held with an etcd
// session of the given TTL. When the holder dies or is cut off from etcd,
// its session expires within the TTL and another replica's Acquire
// returns. Acquire refuses a job ID that rollout.ValidateJobID refuses.
type Leaser struct {
	cli    *clientv3.Client
	prefix string
	ttl    int
}

var _ controller.Leaser = (*Leaser)(nil)

// NewLeaser returns a Leaser whose leases last ttl (rounded up to whole
// seconds, at least one) without a heartbeat.
func NewLeaser(cli *clientv3.Client, prefix string, ttl time.Duration) *Leaser {
	secs := int((ttl + time.Second - 1) / time.Second)
	return &Leaser{cli: cli, prefix: strings.TrimSuffix(prefix, "/"), ttl: max(1, secs)}
}

// Acquire implements controller.Leaser: it campaigns for the job's election
// and returns once elected.
func (l *Leaser) Acquire(ctx context.Context, jobID string) (controller.Lease, error) {
	if err := rollout.ValidateJobID(jobID); err != nil {
		return nil, fmt.Errorf("etcdstore: lease: %w", err)
	}
	sess, err := concurrency.NewSession(l.cli, concurrency.WithTTL(l.ttl), concurrency.WithContext(context.WithoutCancel(ctx)))
	if err != nil {
		return nil, fmt.Errorf("etcdstore: lease of job %q: %w", jobID, err)
	}
	// NewElection puts a '/' after the prefix: the election of "a" is
	// P/leases/a/, which holds no key of "a/b" (P/leases/a%2Fb/).
	el := concurrency.NewElection(sess, l.prefix+leasesDir+escapeID(jobID))
	if err := el.Campaign(ctx, jobID); err != nil {
		sess.Close()
		return nil, fmt.Errorf("etcdstore: lease of job %q: %w", jobID, err)
	}
	le := &lease{sess: sess, el: el, done: make(chan struct{}), released: make(chan struct{})}
	go func() {
		select {
		case <-sess.Done():
		case <-le.released:
		}
		le.end()
	}()
	return le, nil
}

// lease is one held election. done closes when the session ends or the
// lease is released.
type lease struct {
	sess     *concurrency.Session
	el       *concurrency.Election
	once     sync.Once
	done     chan struct{}
	released chan struct{}
	rel      sync.Once
}

func (le *lease) end() { le.once.Do(func() { close(le.done) }) }

// Done implements controller.Lease.
func (le *lease) Done() <-chan struct{} { return le.done }

// Release implements controller.Lease: it resigns the election and ends the
// session, so another replica is elected at once.
func (le *lease) Release(ctx context.Context) error {
	var err error
	le.rel.Do(func() {
		close(le.released)
		if rerr := le.el.Resign(ctx); rerr != nil {
			err = fmt.Errorf("etcdstore: release lease: %w", rerr)
		}
		le.sess.Close()
		le.end()
	})
	return err
}
