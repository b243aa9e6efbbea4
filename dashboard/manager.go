package dashboard

import (
	"context"

	"github.com/rollout-go/rollout"

	"github.com/rollout-go/rollout/controller"
)

// ManagerBackend serves the jobs a controller.Manager supervises: their state
// from the Manager's Store (ErrNotFound for a job it never saved), commands through Manager.Command, and changes
// from the Store when it is a controller.Notifier (every save), else from
// Manager.Watch (every change of the deployment).
func ManagerBackend(m *controller.Manager) Backend { return managerBackend{m} }

type managerBackend struct{ m *controller.Manager }

func (b managerBackend) Jobs(context.Context) ([]string, error) {
	var out []string
	for _, j := range b.m.Jobs() {
		out = append(out, j.JobID)
	}
	return out, nil
}

func (b managerBackend) State(ctx context.Context, job string) (controller.State, error) {
	st, err := b.m.Store().Load(ctx, job)
	if err == nil && st.Revision == 0 {
		return st, ErrNotFound
	}
	return st, err
}

func (b managerBackend) Command(ctx context.Context, job string, cmd rollout.Command) error {
	return b.m.Command(ctx, job, cmd)
}

func (b managerBackend) Subscribe(ctx context.Context, job string) (<-chan struct{}, error) {
	out := make(chan struct{}, 1)
	if n, ok := b.m.Store().(controller.Notifier); ok {
		revs, err := n.Changes(ctx, job)
		if err != nil {
			return nil, err
		}
		go forward(ctx, revs, out)
		return out, nil
	}
	go forward(ctx, b.m.Watch(ctx, job), out)
	return out, nil
}

// forward signals out once per value of in (coalescing), until in closes
// or ctx ends; then it closes out.
func forward[T any](ctx context.Context, in <-chan T, out chan<- struct{}) {
	defer close(out)
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-in:
			if !ok {
				return
			}
			select {
			case out <- struct{}{}:
			default:
			}
		}
	}
}

var _ Submitter = managerBackend{}

// Submit submits the version through Manager.Submit, with
// controller.ExpectVersion or controller.ExpectNoJob when asked.
func (b managerBackend) Submit(ctx context.Context, job rollout.JobVersion, expect *uint64, noJob bool) (rollout.JobVersion, error) {
	var opts []controller.SubmitOption
	if expect != nil {
		opts = append(opts, controller.ExpectVersion(*expect))
	}
	if noJob {
		opts = append(opts, controller.ExpectNoJob())
	}
	return b.m.Submit(ctx, job, opts...)
}
