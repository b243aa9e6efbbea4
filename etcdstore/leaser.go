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
// that the election of "a" holds no candidate for "a/b") held with the
// Leaser's etcd session, of the given TTL. When the holder dies or is cut
// off from etcd, its session expires within the TTL and another replica's
// Acquire returns. Acquire refuses a job ID that rollout.ValidateJobID
// refuses.
//
// One session (one etcd lease, kept alive by one stream) serves every job
// the Leaser holds, so that a replica of a fleet of thousands of jobs keeps
// one lease alive, not thousands: when it expires, every job's lease ends
// at once, and the next Acquire opens a new session. Close ends it.
type Leaser struct {
	cli    *clientv3.Client
	prefix string
	ttl    int

	mu   sync.Mutex
	sess *concurrency.Session // nil until the first Acquire, or once ended
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
	sess, err := l.session(ctx)
	if err != nil {
		return nil, fmt.Errorf("etcdstore: lease of job %q: %w", jobID, err)
	}
	// NewElection puts a '/' after the prefix: the election of "a" is
	// P/leases/a/, which holds no key of "a/b" (P/leases/a%2Fb/).
	el := concurrency.NewElection(sess, l.prefix+leasesDir+escapeID(jobID))
	if err := el.Campaign(ctx, jobID); err != nil {
		// A campaign cut short may leave its candidate key, which the
		// shared session keeps alive: delete it, or it would be elected
		// with no one here to run the job.
		if k := el.Key(); k != "" {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Duration(l.ttl)*time.Second)
			l.cli.Delete(rctx, k)
			cancel()
		}
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

// session returns the Leaser's session, opening a new one when there is
// none or it ended.
func (l *Leaser) session(ctx context.Context) (*concurrency.Session, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sess != nil {
		select {
		case <-l.sess.Done():
			l.sess = nil
		default:
			return l.sess, nil
		}
	}
	// The session outlives the Acquire that opens it: it ends with Close,
	// the client, or its expiry.
	sess, err := concurrency.NewSession(l.cli, concurrency.WithTTL(l.ttl), concurrency.WithContext(context.WithoutCancel(ctx)))
	if err != nil {
		return nil, err
	}
	l.sess = sess
	return sess, nil
}

// Close ends the Leaser's session: every lease it holds is released at
// once (its etcd lease revoked), and a later Acquire opens a new session.
func (l *Leaser) Close() error {
	l.mu.Lock()
	sess := l.sess
	l.sess = nil
	l.mu.Unlock()
	if sess == nil {
		return nil
	}
	if err := sess.Close(); err != nil {
		return fmt.Errorf("etcdstore: close leaser: %w", err)
	}
	return nil
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
		le.end() // the session goes on for the Leaser's other jobs
	})
	return err
}
