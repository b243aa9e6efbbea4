package rollout_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/rollout-go/rollout"
)

// updPtr returns a pointer to v: a field written as v.
func updPtr[T any](v T) *T { return &v }

func TestMergeNeitherBlock(t *testing.T) {
	s, ok := rollout.Merge(nil, nil)
	if ok {
		t.Errorf("Merge(nil, nil) ok = true, want false: without any update block a group has no update strategy")
	}
	if s != (rollout.UpdateStrategy{}) {
		t.Errorf("Merge(nil, nil) = %+v, want the zero UpdateStrategy", s)
	}
}

// updBlockAll writes every field, none of them with its default.
func updBlockAll() *rollout.UpdateBlock {
	return &rollout.UpdateBlock{
		MaxParallel:      updPtr(4),
		HealthCheck:      updPtr(rollout.HealthManual),
		MinHealthyTime:   updPtr(time.Minute),
		HealthyDeadline:  updPtr(20 * time.Minute),
		ProgressDeadline: updPtr(time.Hour),
		AutoRevert:       updPtr(true),
		AutoPromote:      updPtr(true),
		Canary:           updPtr(2),
		Stagger:          updPtr(time.Minute),
	}
}

func TestMergeGroupFieldBeatsJobField(t *testing.T) {
	job := updBlockAll()
	tests := []struct {
		name   string
		group  rollout.UpdateBlock
		want   func(s *rollout.UpdateStrategy) // edits the job-only result
		reason string
	}{
		{
			name:   "max_parallel = 0",
			group:  rollout.UpdateBlock{MaxParallel: updPtr(0)},
			want:   func(s *rollout.UpdateStrategy) { s.MaxParallel = 0 },
			reason: "a written 0 is a value, not unset",
		},
		{
			name:   "health_check",
			group:  rollout.UpdateBlock{HealthCheck: updPtr(rollout.HealthChecks)},
			want:   func(s *rollout.UpdateStrategy) { s.HealthCheck = rollout.HealthChecks },
			reason: "writing the default value still overrides the job",
		},
		{
			name:   "min_healthy_time = 0s",
			group:  rollout.UpdateBlock{MinHealthyTime: updPtr(time.Duration(0))},
			want:   func(s *rollout.UpdateStrategy) { s.MinHealthyTime = 0 },
			reason: "a written 0s is a value",
		},
		{
			name:   "healthy_deadline",
			group:  rollout.UpdateBlock{HealthyDeadline: updPtr(time.Minute)},
			want:   func(s *rollout.UpdateStrategy) { s.HealthyDeadline = time.Minute },
			reason: "the group's value wins",
		},
		{
			name:   "progress_deadline = 0s",
			group:  rollout.UpdateBlock{ProgressDeadline: updPtr(time.Duration(0))},
			want:   func(s *rollout.UpdateStrategy) { s.ProgressDeadline = 0 },
			reason: "a written 0s is a value",
		},
		{
			name:   "auto_revert = false",
			group:  rollout.UpdateBlock{AutoRevert: updPtr(false)},
			want:   func(s *rollout.UpdateStrategy) { s.AutoRevert = false },
			reason: "a written false is a value",
		},
		{
			name:   "auto_promote = false",
			group:  rollout.UpdateBlock{AutoPromote: updPtr(false)},
			want:   func(s *rollout.UpdateStrategy) { s.AutoPromote = false },
			reason: "a written false is a value",
		},
		{
			name:   "canary = 0",
			group:  rollout.UpdateBlock{Canary: updPtr(0)},
			want:   func(s *rollout.UpdateStrategy) { s.Canary = 0 },
			reason: "a written 0 is a value: this group has no canaries",
		},
		{
			name:   "stagger",
			group:  rollout.UpdateBlock{Stagger: updPtr(time.Second)},
			want:   func(s *rollout.UpdateStrategy) { s.Stagger = time.Second },
			reason: "the group's value wins",
		},
		{
			name:   "empty group block",
			group:  rollout.UpdateBlock{},
			want:   func(*rollout.UpdateStrategy) {},
			reason: "a group block that writes nothing inherits every job field",
		},
	}
	jobOnly, ok := rollout.Merge(job, nil)
	if !ok {
		t.Fatal("Merge(job, nil) ok = false")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := jobOnly
			tt.want(&want)
			got, ok := rollout.Merge(job, &tt.group)
			if !ok {
				t.Fatal("ok = false")
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Merge mismatch (-want +got) (%s):\n%s", tt.reason, diff)
			}
		})
	}
}

func TestMergeJobFieldsApplyToGroup(t *testing.T) {
	got, _ := rollout.Merge(updBlockAll(), nil)
	want := rollout.UpdateStrategy{
		MaxParallel:      4,
		HealthCheck:      rollout.HealthManual,
		MinHealthyTime:   time.Minute,
		HealthyDeadline:  20 * time.Minute,
		ProgressDeadline: time.Hour,
		AutoRevert:       true,
		AutoPromote:      true,
		Canary:           2,
		Stagger:          time.Minute,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Merge(job, nil) mismatch (-want +got): every field written at the job level applies:\n%s", diff)
	}
	if got2, _ := rollout.Merge(nil, updBlockAll()); got2 != got {
		t.Errorf("Merge(nil, b) = %+v, Merge(b, nil) = %+v: a block means the same at either level", got2, got)
	}
}

func TestMergeProgressDeadline(t *testing.T) {
	tests := []struct {
		name       string
		job, group *rollout.UpdateBlock
		want       time.Duration
		wantErr    []string // Validate messages
		reason     string
	}{
		{
			name:   "nothing written",
			job:    &rollout.UpdateBlock{},
			want:   10 * time.Minute,
			reason: "max(10m, 5m default healthy_deadline + 5m)",
		},
		{
			name:   "short healthy_deadline",
			group:  &rollout.UpdateBlock{HealthyDeadline: updPtr(2 * time.Minute)},
			want:   10 * time.Minute,
			reason: "max(10m, 2m + 5m) is 10m",
		},
		{
			name:   "healthy_deadline 6m",
			group:  &rollout.UpdateBlock{HealthyDeadline: updPtr(6 * time.Minute)},
			want:   11 * time.Minute,
			reason: "max(10m, 6m + 5m) is 11m",
		},
		{
			name:   "healthy_deadline 10m, as in the Rolling Upgrades tutorial and the update block documentation",
			job:    &rollout.UpdateBlock{HealthyDeadline: updPtr(10 * time.Minute)},
			want:   15 * time.Minute,
			reason: "the deliberate difference from Nomad: raising healthy_deadline alone stays valid",
		},
		{
			name:   "healthy_deadline from the group, after the job's",
			job:    &rollout.UpdateBlock{HealthyDeadline: updPtr(time.Hour)},
			group:  &rollout.UpdateBlock{HealthyDeadline: updPtr(time.Minute)},
			want:   10 * time.Minute,
			reason: "the default is computed from the merged healthy_deadline, not the job's",
		},
		{
			name:   "huge healthy_deadline",
			job:    &rollout.UpdateBlock{HealthyDeadline: updPtr(time.Duration(math.MaxInt64 - 1))},
			want:   math.MaxInt64,
			reason: "healthy_deadline + 5m saturates at the largest Duration instead of overflowing",
		},
		{
			name:   "written 0",
			job:    &rollout.UpdateBlock{HealthyDeadline: updPtr(time.Hour), ProgressDeadline: updPtr(time.Duration(0))},
			want:   0,
			reason: "a written progress_deadline is used as written; 0 disables the ordering rule",
		},
		{
			name:   "written larger",
			group:  &rollout.UpdateBlock{ProgressDeadline: updPtr(time.Hour)},
			want:   time.Hour,
			reason: "used as written",
		},
		{
			name:    "written smaller than healthy_deadline",
			job:     &rollout.UpdateBlock{ProgressDeadline: updPtr(8 * time.Minute)},
			group:   &rollout.UpdateBlock{HealthyDeadline: updPtr(10 * time.Minute)},
			want:    8 * time.Minute,
			wantErr: []string{"healthy_deadline = 10m0s: must be less than progress_deadline (8m0s)"},
			reason:  "when written it is not raised; validation applies as in Nomad",
		},
		{
			name:    "written negative",
			group:   &rollout.UpdateBlock{ProgressDeadline: updPtr(-time.Second)},
			want:    -time.Second,
			wantErr: []string{"progress_deadline = -1s: must not be negative (0 fails the deployment at the first unhealthy allocation)"},
			reason:  "Merge keeps what was written; Validate rejects it",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ok := rollout.Merge(tt.job, tt.group)
			if !ok {
				t.Fatal("ok = false")
			}
			if s.ProgressDeadline != tt.want {
				t.Errorf("ProgressDeadline = %v, want %v (%s)", s.ProgressDeadline, tt.want, tt.reason)
			}
			if diff := cmp.Diff(tt.wantErr, updMessages(t, s.Validate())); diff != "" {
				t.Errorf("Validate mismatch (-want +got) (%s):\n%s", tt.reason, diff)
			}
		})
	}
}

func TestMergeMaxParallelZero(t *testing.T) {
	tests := []struct {
		name       string
		job, group *rollout.UpdateBlock
		reason     string
	}{
		{"in the group", nil, &rollout.UpdateBlock{MaxParallel: updPtr(0)}, "max_parallel = 0 means no deployment"},
		{"in the job", &rollout.UpdateBlock{MaxParallel: updPtr(0)}, &rollout.UpdateBlock{AutoRevert: updPtr(true)}, "inherited from the job"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ok := rollout.Merge(tt.job, tt.group)
			if !ok {
				t.Fatal("ok = false: a block exists")
			}
			if s.Deploys() {
				t.Errorf("Deploys() = true, want false (%s)", tt.reason)
			}
			if err := s.Validate(); err != nil {
				t.Errorf("Validate() = %v, want nil: max_parallel = 0 is valid", err)
			}
		})
	}
}

// TestValidateRefusesCanaryWithoutDeployment: max_parallel = 0 has no
// deployment, so a canary there would be silently ignored; Validate names
// canary instead.
func TestValidateRefusesCanaryWithoutDeployment(t *testing.T) {
	s, _ := rollout.Merge(&rollout.UpdateBlock{MaxParallel: updPtr(0)}, &rollout.UpdateBlock{Canary: updPtr(1)})
	err := s.Validate()
	var fe *rollout.FieldError
	if !errors.As(err, &fe) || fe.Field != "canary" || fe.Value != 1 || !errors.Is(err, rollout.ErrInvalid) {
		t.Fatalf("Validate() = %v, want a FieldError naming canary = 1", err)
	}
}

func TestMergeDoesNotModifyInputs(t *testing.T) {
	job, group := updBlockAll(), &rollout.UpdateBlock{Canary: updPtr(0), MaxParallel: updPtr(9)}
	jobBefore, groupBefore := *job, *group
	jobValues, groupValues := *job.Canary, *group.MaxParallel
	rollout.Merge(job, group)
	if diff := cmp.Diff(jobBefore, *job); diff != "" {
		t.Errorf("job block changed (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(groupBefore, *group); diff != "" {
		t.Errorf("group block changed (-before +after):\n%s", diff)
	}
	if *job.Canary != jobValues || *group.MaxParallel != groupValues {
		t.Errorf("values behind the pointers changed")
	}
}

// TestMergeSeed003Inheritance is the "Upgrade Stanza Inheritance" example
// of the update block documentation: the job block carries the shared fields, each group writes
// one field, and the merged blocks are what the documentation prints.
func TestMergeSeed003Inheritance(t *testing.T) {
	// job "example" { update { ... } }
	job := &rollout.UpdateBlock{
		MaxParallel:     updPtr(2),
		HealthCheck:     updPtr(rollout.HealthTaskStates),
		HealthyDeadline: updPtr(10 * time.Minute),
	}
	groups := []struct {
		name   string
		block  *rollout.UpdateBlock // as written in the group
		merged *rollout.UpdateBlock // as the documentation prints the merged block
		want   rollout.UpdateStrategy
	}{
		{
			name:  "one",
			block: &rollout.UpdateBlock{Canary: updPtr(1)},
			merged: &rollout.UpdateBlock{
				Canary:          updPtr(1),
				MaxParallel:     updPtr(2),
				HealthCheck:     updPtr(rollout.HealthTaskStates),
				HealthyDeadline: updPtr(10 * time.Minute),
			},
			want: rollout.UpdateStrategy{
				MaxParallel:      2,
				HealthCheck:      rollout.HealthTaskStates,
				MinHealthyTime:   10 * time.Second, // default
				HealthyDeadline:  10 * time.Minute,
				ProgressDeadline: 15 * time.Minute, // max(10m, 10m + 5m)
				Canary:           1,
				Stagger:          30 * time.Second, // default
			},
		},
		{
			name:  "two",
			block: &rollout.UpdateBlock{MinHealthyTime: updPtr(3 * time.Minute)},
			merged: &rollout.UpdateBlock{
				MinHealthyTime:  updPtr(3 * time.Minute),
				MaxParallel:     updPtr(2),
				HealthCheck:     updPtr(rollout.HealthTaskStates),
				HealthyDeadline: updPtr(10 * time.Minute),
			},
			want: rollout.UpdateStrategy{
				MaxParallel:      2,
				HealthCheck:      rollout.HealthTaskStates,
				MinHealthyTime:   3 * time.Minute,
				HealthyDeadline:  10 * time.Minute,
				ProgressDeadline: 15 * time.Minute,
				Canary:           0, // default
				Stagger:          30 * time.Second,
			},
		},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			got, ok := rollout.Merge(job, g.block)
			if !ok {
				t.Fatal("ok = false")
			}
			if diff := cmp.Diff(g.want, got); diff != "" {
				t.Errorf("group %q mismatch (-want +got):\n%s", g.name, diff)
			}
			printed, _ := rollout.Merge(nil, g.merged)
			if diff := cmp.Diff(printed, got); diff != "" {
				t.Errorf("group %q differs from the documented merged block (-doc +got):\n%s", g.name, diff)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("group %q: Validate() = %v; the documented job must stay valid", g.name, err)
			}
		})
	}
}

// updField is one field of an update block, for property tests: whether a
// block sets it, a generator that sets it, and how to read it.
type updField struct {
	name string
	// set writes a drawn value into b.
	set func(t *rapid.T, b *rollout.UpdateBlock)
	// isSet reports whether b writes the field.
	isSet func(b *rollout.UpdateBlock) bool
	// written returns the value b writes; merged returns the strategy's.
	written func(b *rollout.UpdateBlock) any
	merged  func(s rollout.UpdateStrategy) any
	// copyTo writes src's value of the field into dst, through a new
	// pointer; src must set the field.
	copyTo func(dst, src *rollout.UpdateBlock)
}

func updDuration() *rapid.Generator[time.Duration] {
	return rapid.OneOf(
		rapid.Map(rapid.Int64(), func(n int64) time.Duration { return time.Duration(n) }),
		rapid.Map(rapid.IntRange(-2, 20), func(n int) time.Duration { return time.Duration(n) * time.Minute }),
		rapid.Just(time.Duration(math.MinInt64)),
		rapid.Just(time.Duration(math.MaxInt64)),
	)
}

// updInt draws counts, often small (0 included) and sometimes anything.
func updInt() *rapid.Generator[int] {
	return rapid.OneOf(rapid.IntRange(-1, 3), rapid.Int())
}

func updHealthCheck() *rapid.Generator[rollout.HealthCheck] {
	return rapid.OneOf(
		rapid.SampledFrom([]rollout.HealthCheck{rollout.HealthChecks, rollout.HealthTaskStates, rollout.HealthManual}),
		rapid.Map(rapid.String(), func(s string) rollout.HealthCheck { return rollout.HealthCheck(s) }),
	)
}

var updFields = []updField{
	{
		name:    "max_parallel",
		set:     func(t *rapid.T, b *rollout.UpdateBlock) { b.MaxParallel = updPtr(updInt().Draw(t, "max_parallel")) },
		isSet:   func(b *rollout.UpdateBlock) bool { return b.MaxParallel != nil },
		written: func(b *rollout.UpdateBlock) any { return *b.MaxParallel },
		merged:  func(s rollout.UpdateStrategy) any { return s.MaxParallel },
		copyTo:  func(dst, src *rollout.UpdateBlock) { dst.MaxParallel = updPtr(*src.MaxParallel) },
	},
	{
		name: "health_check",
		set: func(t *rapid.T, b *rollout.UpdateBlock) {
			b.HealthCheck = updPtr(updHealthCheck().Draw(t, "health_check"))
		},
		isSet:   func(b *rollout.UpdateBlock) bool { return b.HealthCheck != nil },
		written: func(b *rollout.UpdateBlock) any { return *b.HealthCheck },
		merged:  func(s rollout.UpdateStrategy) any { return s.HealthCheck },
		copyTo:  func(dst, src *rollout.UpdateBlock) { dst.HealthCheck = updPtr(*src.HealthCheck) },
	},
	{
		name: "min_healthy_time",
		set: func(t *rapid.T, b *rollout.UpdateBlock) {
			b.MinHealthyTime = updPtr(updDuration().Draw(t, "min_healthy_time"))
		},
		isSet:   func(b *rollout.UpdateBlock) bool { return b.MinHealthyTime != nil },
		written: func(b *rollout.UpdateBlock) any { return *b.MinHealthyTime },
		merged:  func(s rollout.UpdateStrategy) any { return s.MinHealthyTime },
		copyTo:  func(dst, src *rollout.UpdateBlock) { dst.MinHealthyTime = updPtr(*src.MinHealthyTime) },
	},
	{
		name: "healthy_deadline",
		set: func(t *rapid.T, b *rollout.UpdateBlock) {
			b.HealthyDeadline = updPtr(updDuration().Draw(t, "healthy_deadline"))
		},
		isSet:   func(b *rollout.UpdateBlock) bool { return b.HealthyDeadline != nil },
		written: func(b *rollout.UpdateBlock) any { return *b.HealthyDeadline },
		merged:  func(s rollout.UpdateStrategy) any { return s.HealthyDeadline },
		copyTo:  func(dst, src *rollout.UpdateBlock) { dst.HealthyDeadline = updPtr(*src.HealthyDeadline) },
	},
	{
		name: "progress_deadline",
		set: func(t *rapid.T, b *rollout.UpdateBlock) {
			b.ProgressDeadline = updPtr(updDuration().Draw(t, "progress_deadline"))
		},
		isSet:   func(b *rollout.UpdateBlock) bool { return b.ProgressDeadline != nil },
		written: func(b *rollout.UpdateBlock) any { return *b.ProgressDeadline },
		merged:  func(s rollout.UpdateStrategy) any { return s.ProgressDeadline },
		copyTo:  func(dst, src *rollout.UpdateBlock) { dst.ProgressDeadline = updPtr(*src.ProgressDeadline) },
	},
	{
		name:    "auto_revert",
		set:     func(t *rapid.T, b *rollout.UpdateBlock) { b.AutoRevert = updPtr(rapid.Bool().Draw(t, "auto_revert")) },
		isSet:   func(b *rollout.UpdateBlock) bool { return b.AutoRevert != nil },
		written: func(b *rollout.UpdateBlock) any { return *b.AutoRevert },
		merged:  func(s rollout.UpdateStrategy) any { return s.AutoRevert },
		copyTo:  func(dst, src *rollout.UpdateBlock) { dst.AutoRevert = updPtr(*src.AutoRevert) },
	},
	{
		name:    "auto_promote",
		set:     func(t *rapid.T, b *rollout.UpdateBlock) { b.AutoPromote = updPtr(rapid.Bool().Draw(t, "auto_promote")) },
		isSet:   func(b *rollout.UpdateBlock) bool { return b.AutoPromote != nil },
		written: func(b *rollout.UpdateBlock) any { return *b.AutoPromote },
		merged:  func(s rollout.UpdateStrategy) any { return s.AutoPromote },
		copyTo:  func(dst, src *rollout.UpdateBlock) { dst.AutoPromote = updPtr(*src.AutoPromote) },
	},
	{
		name:    "canary",
		set:     func(t *rapid.T, b *rollout.UpdateBlock) { b.Canary = updPtr(updInt().Draw(t, "canary")) },
		isSet:   func(b *rollout.UpdateBlock) bool { return b.Canary != nil },
		written: func(b *rollout.UpdateBlock) any { return *b.Canary },
		merged:  func(s rollout.UpdateStrategy) any { return s.Canary },
		copyTo:  func(dst, src *rollout.UpdateBlock) { dst.Canary = updPtr(*src.Canary) },
	},
	{
		name:    "stagger",
		set:     func(t *rapid.T, b *rollout.UpdateBlock) { b.Stagger = updPtr(updDuration().Draw(t, "stagger")) },
		isSet:   func(b *rollout.UpdateBlock) bool { return b.Stagger != nil },
		written: func(b *rollout.UpdateBlock) any { return *b.Stagger },
		merged:  func(s rollout.UpdateStrategy) any { return s.Stagger },
		copyTo:  func(dst, src *rollout.UpdateBlock) { dst.Stagger = updPtr(*src.Stagger) },
	},
}

// updBlock generates an update block writing any subset of the fields,
// with any values (valid or not).
func updBlock() *rapid.Generator[*rollout.UpdateBlock] {
	return rapid.Custom(func(t *rapid.T) *rollout.UpdateBlock {
		b := &rollout.UpdateBlock{}
		for _, f := range updFields {
			if rapid.Bool().Draw(t, "write "+f.name) {
				f.set(t, b)
			}
		}
		return b
	})
}

// updMaybeBlock generates nil (no block) or a block.
func updMaybeBlock() *rapid.Generator[*rollout.UpdateBlock] {
	return rapid.OneOf(rapid.Just[*rollout.UpdateBlock](nil), updBlock())
}

func TestMergeGroupFieldWinsProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		job := updMaybeBlock().Draw(t, "job")
		group := updBlock().Draw(t, "group")
		s, ok := rollout.Merge(job, group)
		if !ok {
			t.Fatal("Merge ok = false with a group block")
		}
		for _, f := range updFields {
			if f.isSet(group) && f.merged(s) != f.written(group) {
				t.Errorf("%s: merged %v, want the group's %v", f.name, f.merged(s), f.written(group))
			}
		}
	})
}

func TestMergeDefaultsFillOnlyUnsetFieldsProperty(t *testing.T) {
	def := rollout.DefaultUpdateStrategy()
	rapid.Check(t, func(t *rapid.T) {
		job := updMaybeBlock().Draw(t, "job")
		group := updMaybeBlock().Draw(t, "group")
		s, ok := rollout.Merge(job, group)
		if ok != (job != nil || group != nil) {
			t.Fatalf("Merge ok = %v with job %v, group %v", ok, job != nil, group != nil)
		}
		if !ok {
			return
		}
		setIn := func(f updField, b *rollout.UpdateBlock) bool { return b != nil && f.isSet(b) }
		for _, f := range updFields {
			var want any
			switch {
			case setIn(f, group):
				want = f.written(group)
			case setIn(f, job):
				want = f.written(job)
			case f.name == "progress_deadline":
				// Unset in both: derived from the merged healthy_deadline.
				want = max(10*time.Minute, s.HealthyDeadline+5*time.Minute)
				if s.HealthyDeadline > math.MaxInt64-5*time.Minute {
					want = time.Duration(math.MaxInt64)
				}
			default:
				want = f.merged(def)
			}
			if got := f.merged(s); got != want {
				t.Errorf("%s: merged %v, want %v (group set %v, job set %v)",
					f.name, got, want, setIn(f, group), setIn(f, job))
			}
		}
	})
}

// TestMergeFieldOrderProperty builds the same blocks by writing their fields
// in two random orders, and expects the same blocks and the same strategy.
func TestMergeFieldOrderProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		// Draw each block once, then rebuild it twice, writing its fields
		// one by one (into fresh pointers) in two random orders.
		build := func(label string) (a, b *rollout.UpdateBlock) {
			full := updBlock().Draw(t, label)
			order := rapid.Permutation(updFields).Draw(t, label+" order a")
			other := rapid.Permutation(updFields).Draw(t, label+" order b")
			a, b = &rollout.UpdateBlock{}, &rollout.UpdateBlock{}
			for _, f := range order {
				if f.isSet(full) {
					f.copyTo(a, full)
				}
			}
			for _, f := range other {
				if f.isSet(full) {
					f.copyTo(b, full)
				}
			}
			return a, b
		}
		jobA, jobB := build("job")
		groupA, groupB := build("group")
		if diff := cmp.Diff(jobA, jobB); diff != "" {
			t.Fatalf("job blocks differ by field order (-a +b):\n%s", diff)
		}
		sA, okA := rollout.Merge(jobA, groupA)
		sB, okB := rollout.Merge(jobB, groupB)
		if okA != okB || sA != sB {
			t.Errorf("Merge depends on field order:\n a: %+v %v\n b: %+v %v", sA, okA, sB, okB)
		}
	})
}
