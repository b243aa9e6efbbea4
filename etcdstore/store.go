// Package etcdstore keeps rollout's desired state in etcd v3, for
// controllers that run on more than one machine: a controller.Store whose
// compare-and-set is an etcd transaction on the key's mod revision, a
// controller.JobLister and controller.Notifier (an etcd watch), and a
// controller.Leaser on etcd sessions, so that several controller replicas
// share a fleet of jobs with each job run by exactly one replica at a time,
// and another replica takes a job over within the lease TTL when its holder
// dies.
//
//	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{"10.0.0.1:2379"}})
//	store := etcdstore.New(cli, "/rollout")
//	leases := etcdstore.NewLeaser(cli, "/rollout", 10*time.Second)
//	m, err := controller.NewManager(controller.ManagerConfig{Store: store, Leases: leases, Driver: d})
//
// A job's state is one key, <prefix>/jobs/<job>/state, holding
// controller.EncodeState; State.Revision is the key's mod revision. Leases
// are etcd elections under <prefix>/leases/<job>/. In keys, <job> is the
// job ID with '/', '%', ' ' and every byte of a character that is not
// printable written %XX ("a/b" is a%2Fb, "ジョブ" stays as it is), so that
// no job's keys are under another's: the election of "a" does not hold the
// candidates of "a/b", and a watch of "a" sees no save of "a/b". Load,
// Save, Changes and Acquire refuse a job ID that rollout.ValidateJobID
// refuses, with its error.
package etcdstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/controller"
)

// Store is a controller.Store, controller.JobLister and controller.Notifier in etcd.
// It is safe for concurrent use, from any number of processes.
type Store struct {
	cli    *clientv3.Client
	prefix string
}

var (
	_ controller.Store     = (*Store)(nil)
	_ controller.JobLister = (*Store)(nil)
	_ controller.Notifier  = (*Store)(nil)
)

// New returns a Store that keeps its keys under prefix (e.g. "/rollout").
// The client stays the caller's to close.
func New(cli *clientv3.Client, prefix string) *Store {
	return &Store{cli: cli, prefix: strings.TrimSuffix(prefix, "/")}
}

func (s *Store) jobsPrefix() string { return s.prefix + jobsDir }

// key is the job's state key; it checks the job ID first.
func (s *Store) key(jobID string) (string, error) {
	if err := rollout.ValidateJobID(jobID); err != nil {
		return "", err
	}
	return s.jobsPrefix() + escapeID(jobID) + stateName, nil
}

// Load implements controller.Store.
func (s *Store) Load(ctx context.Context, jobID string) (controller.State, error) {
	key, err := s.key(jobID)
	if err != nil {
		return controller.State{}, fmt.Errorf("etcdstore: load: %w", err)
	}
	resp, err := s.cli.Get(ctx, key)
	if err != nil {
		return controller.State{}, fmt.Errorf("etcdstore: load job %q: %w", jobID, err)
	}
	if len(resp.Kvs) == 0 {
		return controller.State{}, nil
	}
	kv := resp.Kvs[0]
	st, err := controller.DecodeState(kv.Value)
	if err != nil {
		return controller.State{}, fmt.Errorf("etcdstore: load job %q: %w", jobID, err)
	}
	st.Revision = uint64(kv.ModRevision)
	return st, nil
}

// Save implements controller.Store: a transaction that writes the state
// only if the key's mod revision is still st.Revision (0: the key must not
// exist).
func (s *Store) Save(ctx context.Context, jobID string, st controller.State) (uint64, error) {
	key, err := s.key(jobID)
	if err != nil {
		return 0, fmt.Errorf("etcdstore: save: %w", err)
	}
	body, err := controller.EncodeState(st)
	if err != nil {
		return 0, fmt.Errorf("etcdstore: save job %q: %w", jobID, err)
	}
	resp, err := s.cli.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(key), "=", int64(st.Revision))).
		Then(clientv3.OpPut(key, string(body))).
		Else(clientv3.OpGet(key)).
		Commit()
	if err != nil {
		return 0, fmt.Errorf("etcdstore: save job %q: %w", jobID, err)
	}
	if !resp.Succeeded {
		var actual uint64
		if r := resp.Responses; len(r) > 0 {
			if kvs := r[0].GetResponseRange().GetKvs(); len(kvs) > 0 {
				actual = uint64(kvs[0].ModRevision)
			}
		}
		return 0, fmt.Errorf("etcdstore: save: %w", &controller.ConflictError{JobID: jobID, Expected: st.Revision, Actual: actual})
	}
	return uint64(resp.Header.Revision), nil
}

// Jobs implements controller.JobLister.
func (s *Store) Jobs(ctx context.Context) ([]string, error) {
	resp, err := s.cli.Get(ctx, s.jobsPrefix(), clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		return nil, fmt.Errorf("etcdstore: list jobs: %w", err)
	}
	ids := make([]string, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		id, err := jobFromStateKey(strings.TrimPrefix(string(kv.Key), s.jobsPrefix()))
		if err != nil {
			return nil, fmt.Errorf("etcdstore: list jobs: %w: key %s is not a job's state key (%w)", controller.ErrCorrupt, shortKey(string(kv.Key)), err)
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

// Changes implements controller.Notifier with an etcd watch on the job's key:
// it sees the saves of every replica.
func (s *Store) Changes(ctx context.Context, jobID string) (<-chan uint64, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	key, err := s.key(jobID)
	if err != nil {
		return nil, fmt.Errorf("etcdstore: watch: %w", err)
	}
	out := make(chan uint64, 1)
	wch := s.cli.Watch(clientv3.WithRequireLeader(ctx), key)
	go func() {
		defer close(out)
		for resp := range wch {
			for _, ev := range resp.Events {
				select {
				case <-out:
				default:
				}
				out <- uint64(ev.Kv.ModRevision)
			}
		}
	}()
	return out, nil
}
