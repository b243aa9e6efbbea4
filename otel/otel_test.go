package rolloutotel_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/rollout-go/rollout"
	rolloutotel "github.com/rollout-go/rollout/otel"
	"github.com/rollout-go/rollout/rollouttest"

	"github.com/rollout-go/rollout/controller"
)

type harness struct {
	reader *sdkmetric.ManualReader
	spans  *tracetest.SpanRecorder
	in     *rolloutotel.Instruments
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{reader: sdkmetric.NewManualReader(), spans: tracetest.NewSpanRecorder()}
	in, err := rolloutotel.New(rolloutotel.Config{
		MeterProvider:  sdkmetric.NewMeterProvider(sdkmetric.WithReader(h.reader)),
		TracerProvider: sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(h.spans)),
	})
	if err != nil {
		t.Fatal(err)
	}
	h.in = in
	return h
}

// points returns the metric's data points as attribute set -> value (sum,
// gauge value or histogram count).
func (h *harness) points(t *testing.T, name string) map[string]float64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := h.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					got[key(p.Attributes)] = float64(p.Value)
				}
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					got[key(p.Attributes)] = float64(p.Value)
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					got[key(p.Attributes)] = float64(p.Count)
				}
			default:
				t.Fatalf("%s: unexpected data %T", name, m.Data)
			}
		}
	}
	return got
}

func key(s attribute.Set) string {
	k := ""
	for _, kv := range s.ToSlice() {
		if k != "" {
			k += ","
		}
		k += string(kv.Key) + "=" + kv.Value.String()
	}
	return k
}

func ptr[T any](v T) *T { return &v }

func web(spec string) rollout.JobVersion {
	return rollout.JobVersion{ID: "web", Update: &rollout.UpdateBlock{MaxParallel: ptr(1), MinHealthyTime: ptr(10 * time.Second)},
		Groups: []rollout.Group{{Name: "api", Count: 3, Spec: spec}}}
}

// TestOnStepAfterARollingUpdate: a rolling update of 3 allocations of the
// simulated cluster, each step reported through OnStep.
func TestOnStepAfterARollingUpdate(t *testing.T) {
	h := newHarness(t)
	c := rollouttest.NewCluster(rollouttest.Config{Default: rollouttest.Behavior{StartAfter: 2 * time.Second}})
	health := 0
	c.Observe(func(c *rollouttest.Cluster, s rollouttest.StepInfo) {
		health += len(s.Output.Health)
		h.in.OnStep(controller.StepReport{JobID: "web", Input: s.Input, Output: s.Output, Start: s.Input.Now, Duration: time.Second})
	})
	for _, spec := range []string{"v1", "v2"} {
		if _, err := c.Submit(web(spec)); err != nil {
			t.Fatal(err)
		}
		if err := c.Run(); err != nil {
			t.Fatal(err)
		}
	}
	steps := c.Steps()
	if health < 6 {
		t.Fatalf("%d health records, want at least one verdict per new allocation", health)
	}
	check := func(name string, want map[string]float64) {
		t.Helper()
		got := h.points(t, name)
		if len(got) != len(want) {
			t.Errorf("%s = %v, want %v", name, got, want)
			return
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %v, want %v", name, got, want)
				return
			}
		}
	}
	check("rollout.steps", map[string]float64{"job=web": float64(steps)})
	check("rollout.step.duration", map[string]float64{"job=web": float64(steps)})
	// 3 placed for v1; 3 replacements placed and 3 old stopped for v2;
	// health records as the cluster's steps made them (task states, then
	// each verdict).
	check("rollout.decisions", map[string]float64{
		"job=web,kind=place":  6,
		"job=web,kind=stop":   3,
		"job=web,kind=health": float64(health),
	})
	check("rollout.deployments", map[string]float64{
		"job=web,status=running":    2,
		"job=web,status=successful": 2,
	})
	check("rollout.group.desired", map[string]float64{"group=api,job=web": 3})
	check("rollout.group.healthy", map[string]float64{"group=api,job=web": 3})

	spans := h.spans.Ended()
	if len(spans) != steps {
		t.Fatalf("%d spans, want one per step (%d)", len(spans), steps)
	}
	for _, s := range spans {
		if s.Name() != "rollout.step" || s.EndTime().Sub(s.StartTime()) != time.Second {
			t.Errorf("span %s from %v to %v, want rollout.step lasting the step's Duration", s.Name(), s.StartTime(), s.EndTime())
		}
	}
}

type failingDriver struct{ controller.Driver }

func (failingDriver) Apply(context.Context, rollout.Decisions) error { return errors.New("node down") }

func TestWrapDriverAndStore(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	c := rollouttest.NewCluster(rollouttest.Config{})
	d := h.in.WrapDriver(c)
	if _, err := d.Allocs(ctx, "web"); err != nil {
		t.Fatal(err)
	}
	if err := d.Apply(ctx, rollout.Decisions{JobID: "web"}); err != nil {
		t.Fatal(err)
	}
	if err := h.in.WrapDriver(failingDriver{c}).Apply(ctx, rollout.Decisions{JobID: "web"}); err == nil {
		t.Fatal("the wrapper swallowed the error")
	}
	if got := h.points(t, "rollout.driver.duration"); got["op=allocs"] != 1 || got["op=apply"] != 2 {
		t.Errorf("driver.duration counts %v, want allocs 1, apply 2", got)
	}
	if got := h.points(t, "rollout.driver.errors"); len(got) != 1 || got["op=apply"] != 1 {
		t.Errorf("driver.errors %v, want apply 1", got)
	}

	s := h.in.WrapStore(controller.NewMemoryStore())
	if _, ok := s.(controller.Notifier); !ok {
		t.Error("the wrapped MemoryStore lost controller.Notifier")
	}
	st, err := s.Load(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Save(ctx, "web", st); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Save(ctx, "web", st); !errors.Is(err, controller.ErrConflict) {
		t.Fatalf("stale save: %v, want ErrConflict", err)
	}
	if got := h.points(t, "rollout.store.duration"); got["op=load"] != 1 || got["op=save"] != 2 {
		t.Errorf("store.duration counts %v, want load 1, save 2", got)
	}
	if got := h.points(t, "rollout.store.errors"); len(got) != 1 || got["op=save"] != 1 {
		t.Errorf("store.errors %v, want save 1", got)
	}
}
